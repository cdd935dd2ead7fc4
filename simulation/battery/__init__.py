"""Battery models in plain Python and numpy (no Django): chemistry, aging, packs."""
