from routing.tests.plans_fixtures import solver, world  # noqa: F401 - the route plan tests' fixtures
