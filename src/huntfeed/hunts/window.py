"""How far back every generated hunt looks: one constant for the converted rules and the IOC sweeps."""

LOOKBACK = "30d"
