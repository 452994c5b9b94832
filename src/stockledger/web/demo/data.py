"""The demo company's catalog: warehouses, channels, products, kits, a manufactured product."""

from stockledger.core.permissions import Role

COMPANY_NAME = "Demo Outfitters"
USERNAME = "demo"
DAYS = 90

WAREHOUSES = ["Austin Main", "Reno 3PL", "Brooklyn Store"]
CHANNELS = [("shopify", "Shopify Store"), ("amazon", "Amazon US"), ("etsy", "Etsy Shop")]

# (sku, name, typical daily demand across channels)
SIMPLE_PRODUCTS = [
    ("MUG-ENM-12-BLK", "Enamel camp mug 12 oz, black", 4),
    ("MUG-ENM-12-RED", "Enamel camp mug 12 oz, red", 3),
    ("SPORK-TI", "Titanium spork", 5),
    ("BOWL-ENM-16", "Enamel bowl 16 oz", 2),
    ("TOTE-CNV-NAT", "Waxed canvas tote, natural", 2),
    ("TOTE-CNV-OLV", "Waxed canvas tote, olive", 1),
    ("BEANIE-MER-GRY", "Merino beanie, heather grey", 3),
    ("BEANIE-MER-RST", "Merino beanie, rust", 2),
    ("SOCK-HIK-M", "Hiking socks, size M", 6),
    ("SOCK-HIK-L", "Hiking socks, size L", 5),
    ("LANTERN-LED", "Collapsible LED lantern", 2),
    ("BOTTLE-SS-750", "Insulated bottle 750 ml", 4),
    ("BOTTLE-SS-500", "Insulated bottle 500 ml", 3),
    ("BLANKET-WOOL", "Wool camp blanket, 150 x 200 cm", 1),
    ("KNIFE-FOLD-3", "Folding knife 3 in, walnut handle", 1),
    ("FIRESTARTER", "Ferro rod fire starter", 3),
    ("STOVE-CAN-01", "Canister stove", 1),
    ("MAP-CASE-A4", "Waterproof map case A4", 1),
    ("HEADLAMP-300", "Headlamp 300 lumen", 3),
    ("TARP-3X3", "Ultralight tarp 3 x 3 m", 1),
    ("CANDLE-SOY-8", "Soy candle 8 oz, cedar", 0),
    ("BOX-GIFT-S", "Gift box, small kraft", 0),
    ("RIBBON-JUTE", "Jute ribbon, 1 m", 0),
    ("CARD-THANKS", 'Thank-you card "Happy trails" <with envelope>', 0),
]

KITS = [
    (
        "KIT-CAMP-KITCHEN",
        "Camp kitchen kit",
        [("MUG-ENM-12-BLK", 2), ("SPORK-TI", 2), ("BOWL-ENM-16", 2)],
        2,
    ),
    (
        "KIT-COZY",
        "Cozy night bundle",
        [("BEANIE-MER-GRY", 1), ("SOCK-HIK-M", 2), ("MUG-ENM-12-RED", 1)],
        1,
    ),
    (
        "KIT-LIGHT",
        "Light & fire set",
        [("HEADLAMP-300", 1), ("FIRESTARTER", 1), ("LANTERN-LED", 1)],
        1,
    ),
]

MANUFACTURED = [
    (
        "GIFT-CANDLE-BOX",
        "Cedar candle gift box",
        [("CANDLE-SOY-8", 2), ("BOX-GIFT-S", 1), ("RIBBON-JUTE", 1), ("CARD-THANKS", 1)],
        1,
    ),
]

# The demo's staff (user names in the log).
COUNTERS = ["maria", "devon", "priya"]  # clerks
# One user of each other role, so every role can be tried (the owner is `demo`).
OTHER_ROLES = [(Role.MANAGER, "lena"), (Role.VIEWER, "sam")]

# Materials of the manufactured product: stocked in the main warehouse only, not sold alone.
MATERIALS = {"CANDLE-SOY-8", "BOX-GIFT-S", "RIBBON-JUTE", "CARD-THANKS"}
