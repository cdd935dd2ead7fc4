"""Vehicle-to-grid trading without Django: the problem (problem.py), the trading schedule as an LP solved by HiGHS
(lp.py), the classic baselines (baselines.py), the online re-planning loop (online.py), scoring (evaluate.py) and
reproducible workplace V2G days for the benchmark (scenarios.py)."""
