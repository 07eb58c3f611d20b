"""The weekly recap: a read model over the other domains, and its Sunday push."""
