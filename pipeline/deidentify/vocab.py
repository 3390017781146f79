"""Built-in word lists the recognizers are configured with (data, not logic).

Gazetteers that grow with the study (names, places, hospitals, terms to keep) live in
``pipeline/defaults/lists/`` and are loaded by :mod:`pipeline.deidentify.lists`; what is here is the
small, stable vocabulary of spoken English around identifiers: number words, letter names, titles,
street suffixes, the cue words that make "Grace" a name. Everything is lower case.
"""

from __future__ import annotations

# fmt: off

# --- numbers as Whisper writes them -------------------------------------------------------------

#: Spoken single digits. "oh" and "o" are zero in phone numbers (UK speech).
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0", "one": "1", "two": "2",
    "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
TEEN_WORDS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}
TENS_WORDS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
    "eighty": "8", "ninety": "9",
}
#: "double seven" = 77, "treble oh" = 000.
REPEAT_WORDS = {"double": 2, "treble": 3, "triple": 3}
#: Words a speaker drops between digit groups without ending the number ("oh seven, um, nine").
NUMBER_FILLERS = frozenset(
    "um uh er erm ah eh hmm hm mm mhm huh yeah yes yep okay ok right sorry".split()
)
#: Characters allowed between the pieces of one spoken or written number.
NUMBER_SEPARATORS = " \t\n,.-/()+:;…–"

# --- letters as Whisper writes them (postcodes) -------------------------------------------------

LETTER_WORDS = {
    "ay": "A", "bee": "B", "be": "B", "see": "C", "sea": "C", "cee": "C", "dee": "D", "ee": "E",
    "eff": "F", "ef": "F", "gee": "G", "aitch": "H", "haitch": "H", "eye": "I", "jay": "J",
    "kay": "K", "el": "L", "elle": "L", "em": "M", "en": "N", "pee": "P", "pea": "P", "queue": "Q",
    "cue": "Q", "kew": "Q", "ar": "R", "are": "R", "our": "R", "ess": "S", "es": "S", "tee": "T",
    "tea": "T", "you": "U", "vee": "V", "ex": "X", "why": "Y", "zed": "Z", "zee": "Z",
}
#: Two-letter English words never read as a pair of postcode letters.
TWO_LETTER_WORDS = frozenset(
    "am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we".split()
)

# --- dates --------------------------------------------------------------------------------------

MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)
ORDINAL_WORDS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth", "thirtieth",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# --- ages ---------------------------------------------------------------------------------------

#: Words just before a number that make it an age ("she's ninety two", "aged 93").
AGE_CUES_BEFORE = (
    "aged", "age of", "age", "i'm", "im", "i am", "she's", "shes", "he's", "hes", "she is",
    "he is", "she was", "he was", "is", "was", "who's", "who is", "who was", "turned", "turns",
    "turning", "reached", "reach", "be", "being", "nan's", "mum's", "dad's",
)
#: Ages above this are identifiers (HIPAA safe harbour groups them as "over 89").
AGE_LIMIT = 89

# --- people -------------------------------------------------------------------------------------

#: Floor for name_words.txt: first names that are everyday words and need name context.
NAME_WORDS = tuple(
    "hope will grace joy rose faith bill mark pat sue ray may june april august summer dawn "
    "holly ivy jack frank rob bob don art guy gene sandy rusty lily daisy violet amber ruby "
    "crystal pearl jade robin drew chase hunter sky skye rain storm river brook dale glen cliff "
    "wade rich penny kitty candy honey sunny hazel heather iris poppy fern willow olive ginger "
    "coral precious king prince duke earl major marshall royal sonny buddy lucky sage bliss "
    "destiny charity patience prudence constance mercy verity felicity harmony melody serenity "
    "trinity star angel jewel diamond genesis journey bishop miles ernest carol norm mo nan "
    "nana gran chip chuck ace autumn winter rocky stone pepper misty sterling page".split()
)
#: Titles that start a name ("Sister Walsh", "Dr Okafor"). The span includes the title.
TITLES = (
    "dr", "doctor", "mr", "mrs", "ms", "miss", "mister", "missus", "sister", "nurse", "matron",
    "professor", "prof", "sir", "dame", "lord", "lady", "father", "reverend", "rev", "pastor",
    "imam", "rabbi", "auntie", "aunty", "uncle", "nanny", "grandma", "grandad", "granny",
)
#: Titles that are also ordinary words: they only start a name before a capitalised or known name.
WEAK_TITLES = frozenset(
    (
        "sister",
        "nurse",
        "father",
        "lady",
        "miss",
        "uncle",
        "auntie",
        "aunty",
        "nanny",
        "grandma",
        "grandad",
        "granny",
        "doctor",
        "matron",
        "lord",
    )
)
#: Words after which the next word is a name: "my friend Grace", "a lady called Hope".
NAME_CUES_BEFORE = (
    "called", "named", "name is", "name was", "name's", "names", "name", "known as", "friend",
    "husband", "wife", "partner", "son", "daughter", "brother", "sister", "mum", "mom", "dad",
    "mother", "father", "nan", "nana", "gran", "grandson", "granddaughter", "grandchild", "niece",
    "nephew", "cousin", "aunt", "auntie", "uncle", "neighbour", "colleague", "boss", "nurse",
    "doctor", "consultant", "supporter", "mentor", "buddy", "mate", "boyfriend", "girlfriend",
    "fiance", "fiancee", "carer", "counsellor", "surgeon", "registrar", "dietitian",
    "social worker", "coordinator", "co-ordinator", "volunteer", "chap", "fella", "bloke", "lady",
    "man", "woman", "guy", "girl", "lad", "gentleman", "speak to", "spoke to", "talk to",
    "talked to", "talking to", "ask for", "asked for", "this is", "met",
)
#: Verbs after which the word before is a name: "Hope said", "Will rang me".
NAME_CUES_AFTER = (
    "said", "says", "told", "tells", "asked", "asks", "rang", "rings", "phoned", "called",
    "texted", "emailed", "messaged", "explained", "suggested", "reckoned", "reckons",
    "recommended", "arranged", "visited", "came", "came round", "came over", "popped",
    "introduced", "went", "drove", "walked", "sat", "talked", "took me", "picked me", "met me",
    "helped", "talked me", "showed", "mentioned", "replied", "answered", "here",
)
#: Greetings and thanks before a vocative name: "thanks, Grace", "hi Joy".
VOCATIVE_BEFORE = (
    "hi", "hello", "hiya", "hey", "morning", "afternoon", "evening", "thanks", "thank you",
    "cheers", "bye", "goodbye", "ta", "sorry", "questions", "is that", "it's", "its that",
    "it's that", "speaking to", "talking to", "am i speaking to", "this is",
)
#: Words before a name-word that show its ordinary use ("a lot of faith", "I hope").
COMMON_USE_BEFORE = frozenset(
    "a an the my your his her our their its this that these those some any no much more most "
    "less lot lots full great real little every such what all with without of by "
    "i you we they he she it i'd you'd we'd they'd he'd she'd i'll you'll we'll they'll "
    "to do don't did didn't does doesn't not just really still also only so and but".split()
)
#: Words after a name-word that show its ordinary use ("faith in", "hope so", "will be").
COMMON_USE_AFTER = frozenset(
    "in of that so to for you it he she they we i not be have get go do this your my the a an "
    "you're you'll you've we're they're it's that's everything everyone all "
    "is was were are would could should might must can will has had been being never always "
    "just probably definitely see come make take".split()
)

# --- places and organisations ------------------------------------------------------------------

#: Prepositions before a place or hospital: "at Guy's", "from Bromley".
PLACE_PREPOSITIONS = frozenset(
    "at in to from into near nearby round around outside inside by via towards toward past "
    "through opposite behind with visit visiting visited".split()
)
STREET_SUFFIXES = (
    "high street", "high road", "road", "rd", "street", "st", "lane", "avenue", "ave", "close",
    "way", "drive", "crescent", "gardens", "terrace", "place", "grove", "square", "row", "walk",
    "court", "mews", "parade", "rise", "hill", "vale", "estate", "broadway", "green", "park",
    "common", "passage", "wharf", "quay", "embankment", "circus", "gate", "yard", "station",
    "junction", "market",
)
#: Words that may stand before a street suffix without making a name ("the main road").
GENERIC_STREET_WORDS = frozenset(
    "the a an this that main high back side same other next long busy big little old new top "
    "bottom end front local car train bus tube police fire petrol railway country private "
    "trading industrial housing council my our his her their your one two".split()
)
INSTITUTION_SUFFIXES = (
    "academy", "school", "college", "university", "primary", "infants", "juniors", "surgery",
    "practice", "hospital", "infirmary", "clinic", "hospice", "medical centre", "health centre",
    "medical center", "health center", "church", "chapel", "cathedral", "mosque", "temple",
    "gurdwara", "synagogue", "library", "leisure centre", "community centre", "nursery",
    "care home", "nursing home", "trust", "foundation trust", "council", "football club",
    "cricket club", "club", "ltd", "limited", "plc", "centre",
)
#: Words that do not name an institution on their own ("the Renal Unit", "Primary School").
GENERIC_INSTITUTION_WORDS = frozenset(
    "the a an this that my our your his her their local main general district teaching royal "
    "university primary secondary junior infant infants high grammar comprehensive state "
    "private public medical health community kidney renal dialysis transplant children's "
    "childrens women's womens new old big small catholic c of e church nhs foundation hospital "
    "unit centre center clinic school college city county town village one two".split()
)
#: Pub names: "the Rose and Crown", "the Red Lion".
PUB_WORDS = frozenset(
    "arms head inn tavern lion crown anchor bell swan plough star oak horse horses bull george "
    "castle ship hart stag fox hounds hound feathers cross keys lamb flag bear eagle falcon "
    "dragon unicorn rose king queen prince princess duke railway volunteer sun moon globe "
    "tree wheatsheaf greyhound elephant dolphin cock kings queens crown harp".split()
)
PUB_COLOURS = frozenset(
    "red white black green golden blue royal old new grey brown nag's nags three two".split()
)
#: Words after which a capitalised name is a workplace: "I worked at Tesco".
WORKPLACE_CUES = (
    "work at", "worked at", "working at", "works at", "work for", "worked for", "working for",
    "works for", "job at", "job with", "employed by", "employed at", "shift at", "shifts at",
    "manager at", "volunteer at", "volunteered at", "volunteering at", "go to", "went to",
    "goes to", "study at", "studied at", "teach at", "taught at",
)
#: Employers and shops people name as workplaces (ORGANIZATION). Extend per study via the deny list.
EMPLOYERS = (
    "tesco", "sainsbury's", "sainsburys", "asda", "morrisons", "aldi", "lidl", "waitrose", "co-op",
    "marks and spencer", "m&s", "boots", "superdrug", "argos", "b&q", "homebase", "wickes",
    "currys", "greggs", "primark", "john lewis", "royal mail", "parcelforce", "british gas", "bt",
    "openreach", "tfl", "transport for london", "network rail", "southern rail", "thameslink",
    "heathrow", "gatwick", "amazon", "deliveroo", "uber", "mcdonald's", "mcdonalds", "costa",
    "starbucks", "pret", "iceland", "poundland", "wilko", "halfords", "ikea", "debenhams",
    "house of fraser", "matalan", "next", "h&m", "zara", "barclays", "lloyds", "natwest", "hsbc",
    "santander", "nationwide",
)
#: Employers that are ordinary words: only with a workplace cue.
AMBIGUOUS_EMPLOYERS = frozenset(
    ("next", "iceland", "costa", "boots", "uber", "amazon", "pret", "co-op")
)
#: Places too large to identify anyone: not redacted unless the study's deny list names them.
BROAD_PLACES = (
    "uk", "u.k.", "united kingdom", "britain", "great britain", "england", "scotland", "wales",
    "northern ireland", "ireland", "europe", "london", "south london", "north london",
    "east london", "west london", "south east london", "south west london", "greater london",
    "the south east", "south east", "the south", "the north", "the midlands", "kent", "surrey",
    "sussex", "essex", "middlesex", "hampshire", "berkshire", "hertfordshire", "home counties",
)

# --- email --------------------------------------------------------------------------------------

EMAIL_PROVIDERS = frozenset(
    "gmail googlemail hotmail yahoo outlook live icloud btinternet aol sky virgin virginmedia "
    "talktalk ntlworld protonmail proton msn me mac nhs".split()
)
EMAIL_TLDS = frozenset("com net org uk co ac gov nhs io me info biz ie eu".split())
#: Words that end a spoken email address's local part when reading backwards from "at".
EMAIL_STOP_WORDS = frozenset(
    "is was it's its email e-mail mail address me him her his my their our your gave give "
    "send sent that this the a an and or to on be as of it at".split()
)

# --- terms kept whatever the models say ---------------------------------------------------------

#: Floor for keep_terms.txt: terms analysis needs that models and gazetteers misfire on.
KEEP_TERMS = (
    "nhs", "uk", "gp", "a&e", "a and e", "dialysis", "haemodialysis", "hemodialysis",
    "home dialysis", "home haemodialysis", "peritoneal", "peritoneal dialysis", "pd", "hd", "capd",
    "apd", "fistula", "av fistula", "catheter", "line", "transplant", "renal", "kidney", "kidneys",
    "renal unit", "kidney unit", "dialysis unit", "transplant unit", "the hospital",
    "the renal unit", "the clinic", "the ward", "peer support", "peer supporter",
    "peer supporters", "peer support study", "peer support research", "peer support service",
    "link nurse", "renal nurse", "dialysis nurse", "specialist nurse", "consultant",
    "nephrologist", "role model", "kidney patient", "kidney disease", "ckd", "egfr", "covid",
    "coronavirus", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "christmas", "easter", "ramadan", "diwali", "eid", "bank holiday", "new year", "god", "jesus",
    "lord", "allah", "mother nature", "bbc", "itv", "channel 4", "sky news", "netflix", "zoom",
    "whatsapp", "facebook", "youtube", "google", "instagram", "twitter", "skype", "teams",
    "microsoft teams", "the guardian", "eastenders", "coronation street", "emmerdale", "dwp",
    "hmrc", "dvla", "pip", "universal credit", "blue badge", "age uk", "macmillan",
    "kidney care uk", "kidney patients association",
)
#: Words a recognizer's find is trimmed of, or dropped when only they remain ("Peer Support Study").
GENERIC_HEAD_WORDS = frozenset(
    "study research service services team unit units centre center clinic ward department "
    "programme program scheme project group session sessions hospital hospitals station "
    "support supporter supporters trust the a an".split()
)
# fmt: on
