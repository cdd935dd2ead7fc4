"""Battery models (plain Python, numpy, no Django): chemistry, aging, temperature effects, state of health."""
