from enum import StrEnum


class Chemistry(StrEnum):
    NMC = "nmc"
    LFP = "lfp"
