"""Events: schools, visits, role slots, lessons, satellite schools and (later) calendar feeds."""
