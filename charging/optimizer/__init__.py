"""Smart charging without Django: the problem (problem.py), battery-health limits (profiles.py), the optimal
schedule as an LP solved by HiGHS (lp.py), the classic baselines (baselines.py), scoring (evaluate.py) and
reproducible depot days for the benchmark (scenarios.py)."""
