"""The commented environment.toml that ``huntfeed env init`` writes for a team to fill in."""

TEMPLATE = '''\
# huntfeed environment: what your team runs, where it is, what it can query and what it already
# detects. With this file every profile gains a "Relevance to us" section, each hunt is labelled
# runnable / blind spot / covered, and the digest leads with what affects you. Delete a section
# you do not want to use; an unknown key or a wrong type is an error naming this file and line.
# TOML puts every key after a [table] header into that table: keep top-level keys first.
# Found at: --environment PATH, else $HUNTFEED_ENVIRONMENT, else environment.toml in the data folder.

name = "Example SOC"

# Sectors and regions you belong to, matched against the victims an article names. Use the names
# huntfeed knows (healthcare, finance, government, energy, manufacturing, logistics, education,
# retail, telecommunications, technology, engineering, legal, hospitality, defense; europe,
# north-america, latin-america, asia-pacific, middle-east, africa, united-kingdom, germany,
# united-states), or your own: { name = "...", terms = ["word", "other word"] }.
sectors = ["healthcare"]
regions = ["europe"]

# Products you run: matched against each article and against the product names of the CVEs it
# names in CISA's KEV catalog (`huntfeed kev update`). `versions` (optional) lets a match say
# whether the version named is yours; `aliases` are other names of the same product.
[[products]]
vendor = "Fortinet"
product = "FortiOS"
versions = ["7.2"]
aliases = ["FortiGate"]

[[products]]
vendor = "Microsoft"
product = "Exchange Server"
versions = ["2019"]


# What your team can query. A hunt is runnable when one of its queries reads only sources listed here.
[data_sources]
# Splunk CIM data models and the index they live in ("Endpoint" alone means all its datasets).
splunk_cim = [
  { data_model = "Endpoint.Processes", index = "edr" },
  { data_model = "Network_Resolution.DNS", index = "dns" },
]
# Microsoft Defender XDR advanced-hunting tables.
defender_tables = ["DeviceProcessEvents", "DeviceNetworkEvents"]
# Microsoft Sentinel tables or ASIM parsers (imProcessCreate, imNetworkSession...).
sentinel_tables = []
# Sigma log sources you collect; keys you leave out match anything.
sigma = [
  { product = "windows", category = "process_creation" },
]

# Rules already running, as files or folders (relative to this file). A hunt is covered when one
# detects the same technique on the same log source, or has the same detection fields and values.
[deployed_rules]
sigma = []        # folders of Sigma YAML
splunk = []       # savedsearches.conf files (or folders holding them)
sentinel = []     # Sentinel analytic rules, YAML or exported JSON
'''
