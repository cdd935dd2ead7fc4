"""Dashboard pages of the simulation app, a module per page family."""
