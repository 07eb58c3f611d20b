"""The daily question: one question a day for the couple, answers revealed when both answered."""
