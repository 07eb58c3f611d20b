"""The RQ side of Hearth: delivery jobs, the clock, and the embedded queue for dev."""
