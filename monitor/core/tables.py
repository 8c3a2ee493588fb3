"""Data the display templates read from Wikipedia's data templates and modules: language
names ({{lang-fr}} shows "French: …", {{fr icon}} "(in French)") and the short names
{{flagcountry}} shows ({{flagcountry|Kingdom of Great Britain}} → "Great Britain").

Only the common entries: a code or name missing here is shown as written (see
catalogue.md). Pure data, no I/O.
"""

from __future__ import annotations

__all__ = ["COUNTRY_NAMES", "LANGUAGES"]

# ISO 639 codes → the language name Module:Lang shows (English Wikipedia's spelling).
LANGUAGES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "arc": "Aramaic", "az": "Azerbaijani",
    "be": "Belarusian", "ber": "Berber", "bg": "Bulgarian", "bn": "Bengali", "bo": "Tibetan",
    "bs": "Bosnian", "ca": "Catalan", "ckb": "Central Kurdish", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish",
    "fil": "Filipino", "fo": "Faroese", "fr": "French", "fy": "West Frisian", "ga": "Irish",
    "gd": "Scottish Gaelic", "gl": "Galician", "grc": "Ancient Greek", "gsw": "Swiss German",
    "gu": "Gujarati", "ha": "Hausa", "haw": "Hawaiian", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "is": "Icelandic", "it": "Italian", "iu": "Inuktitut",
    "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer",
    "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin",
    "lb": "Luxembourgish", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian", "mi": "Māori",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay",
    "mt": "Maltese", "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk",
    "no": "Norwegian", "nb": "Norwegian Bokmål", "oc": "Occitan", "pa": "Punjabi",
    "pap": "Papiamento", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua",
    "rm": "Romansh", "ro": "Romanian", "ru": "Russian", "sa": "Sanskrit", "sd": "Sindhi",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovene", "so": "Somali", "sq": "Albanian",
    "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "tg": "Tajik", "th": "Thai", "ti": "Tigrinya", "tk": "Turkmen", "tl": "Tagalog",
    "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu",
    "uz": "Uzbek", "vi": "Vietnamese", "yi": "Yiddish", "yo": "Yoruba", "zh": "Chinese",
    "zu": "Zulu",
}  # fmt: skip

# {{flagcountry|X}} shows the country data's short name; these differ from X. (The flag
# itself, the item's side, stays X.)
COUNTRY_NAMES: dict[str, str] = {
    "usa": "United States", "us": "United States", "united states of america": "United States",
    "uk": "United Kingdom", "gbr": "United Kingdom",
    "united kingdom of great britain and ireland": "United Kingdom",
    "kingdom of great britain": "Great Britain", "kingdom of england": "England",
    "kingdom of scotland": "Scotland", "kingdom of ireland": "Ireland",
    "kingdom of france": "France", "french first republic": "France",
    "french third republic": "France", "vichy france": "France",
    "kingdom of spain": "Spain", "spanish empire": "Spain", "francoist spain": "Spain",
    "kingdom of portugal": "Portugal", "kingdom of italy": "Italy",
    "kingdom of prussia": "Prussia", "german empire": "Germany", "weimar republic": "Germany",
    "nazi germany": "Germany", "empire of japan": "Japan", "russian empire": "Russia",
    "russian federation": "Russia", "ussr": "Soviet Union", "roc": "Republic of China",
    "prc": "China", "people's republic of china": "China", "kingdom of the netherlands":
    "Netherlands", "kingdom of sardinia": "Sardinia", "kingdom of hungary": "Hungary",
    "kingdom of greece": "Greece", "kingdom of romania": "Romania",
    "kingdom of yugoslavia": "Yugoslavia", "sfr yugoslavia": "Yugoslavia",
    "kingdom of egypt": "Egypt", "kingdom of iraq": "Iraq", "pahlavi iran": "Iran",
    "qajar iran": "Iran", "syrian arab republic": "Syria", "korea": "South Korea",
    "republic of korea": "South Korea", "dprk": "North Korea", "drc": "DR Congo",
    "democratic republic of the congo": "DR Congo", "uae": "United Arab Emirates",
    # three-letter codes ({{flagcountry|CAN}}, and {{CAN}}-style templates)
    "can": "Canada", "fra": "France", "ger": "Germany", "deu": "Germany", "ita": "Italy",
    "esp": "Spain", "jpn": "Japan", "chn": "China", "rus": "Russia", "aus": "Australia",
    "aut": "Austria", "bel": "Belgium", "bra": "Brazil", "sui": "Switzerland",
    "che": "Switzerland", "swe": "Sweden", "nor": "Norway", "fin": "Finland", "den": "Denmark",
    "ned": "Netherlands", "nld": "Netherlands", "pol": "Poland", "cze": "Czech Republic",
    "svk": "Slovakia", "slo": "Slovenia", "cro": "Croatia", "srb": "Serbia", "hun": "Hungary",
    "rou": "Romania", "bul": "Bulgaria", "gre": "Greece", "tur": "Turkey", "ukr": "Ukraine",
    "blr": "Belarus", "kaz": "Kazakhstan", "kor": "South Korea", "prk": "North Korea",
    "ind": "India", "pak": "Pakistan", "irn": "Iran", "irq": "Iraq", "syr": "Syria",
    "isr": "Israel", "egy": "Egypt", "rsa": "South Africa", "arg": "Argentina",
    "mex": "Mexico", "nzl": "New Zealand", "irl": "Ireland", "por": "Portugal",
    "liechtenstein": "Liechtenstein", "lie": "Liechtenstein", "and": "Andorra",
}  # fmt: skip
