"""Words the synthetic data is made of: Kazakh and Belarusian places, name roots and people.

Names are built from these pieces so they look like the real registry's (trading houses,
machine-building plants, banks…) and so search has realistic spelling variants to find:
people carry Cyrillic aliases and transliteration variants, organizations abbreviations.
"""

COUNTRIES = {
    "KZ": "Kazakhstan",
    "BY": "Belarus",
    "RU": "Russia",
    "KG": "Kyrgyzstan",
    "UZ": "Uzbekistan",
    "AM": "Armenia",
    "AZ": "Azerbaijan",
    "TJ": "Tajikistan",
    "UA": "Ukraine",
    "CN": "China",
    "TR": "Turkey",
    "DE": "Germany",
}

CITIES = {
    "KZ": ["Astana", "Almaty", "Karaganda", "Shymkent", "Pavlodar", "Aktobe", "Kostanay", "Oskemen",
           "Atyrau", "Semey", "Taraz", "Kokshetau", "Petropavl", "Ekibastuz"],
    "BY": ["Minsk", "Gomel", "Brest", "Vitebsk", "Grodno", "Mogilev", "Bobruisk", "Baranovichi",
           "Borisov", "Pinsk", "Orsha", "Zhodino", "Novopolotsk", "Soligorsk"],
    "RU": ["Moscow", "Omsk", "Novosibirsk", "Orenburg", "Chelyabinsk"],
}

# Glued in pairs into company names: "Belagromash", "Kazneftekhim"…
NAME_ROOTS = ["Bel", "Kaz", "Agro", "Mash", "Trans", "Neft", "Energo", "Khim", "Stroy", "Tekh", "Avto",
              "Prom", "Les", "Torg", "Invest", "Kom", "Exim", "Traktor", "Metal", "Zerno", "Moloko", "Tex",
              "Farm", "Info", "Logist", "Avia", "Rail", "Gaz", "Kaliy", "Shina", "Elektro", "Optic"]

# organization kind value → how its name ends
NAME_ENDINGS = {
    "company": ["LLP", "JSC", "OJSC", "Group", "Holding"],
    "state_owned_enterprise": ["State Enterprise", "National Company"],
    "bank": ["Bank", "Development Bank"],
    "trading_house": ["Trading House"],
    "service_center": ["Service Center", "Dealer Center"],
    "joint_venture": ["Joint Venture"],
    "association": ["Association", "Union"],
    "education_research": ["University", "Research Institute"],
    "ministry": ["Ministry of Industry", "Ministry of Trade"],
    "embassy": ["Embassy"],
    "media": ["Media", "News Agency"],
    "cultural": ["Cultural Center"],
    "other": ["Foundation"],
}

PROJECT_PHRASES = ["Tractor assembly", "Service center for", "Trading house of", "Joint venture",
                   "Oil transit via", "Grain supply from", "Bus assembly", "Dairy plant", "Fertilizer supply",
                   "Truck service network", "Credit line for", "Student exchange with", "Research program",
                   "Railway logistics hub", "Pharmaceutical plant", "Elevator equipment supply",
                   "Combine harvester assembly", "Cultural days of", "Textile cooperation", "IT park"]

EVENT_PHRASES = ["Official visit to", "Working visit to", "Business forum in",
                 "Intergovernmental commission in", "Exhibition of Belarusian goods in",
                 "Days of Kazakhstan culture in", "Summit in",
                 "Investment conference in", "Regional cooperation forum in", "Negotiations in"]

AGREEMENT_PHRASES = ["Agreement on trade and economic cooperation", "Protocol on oil supply",
                     "Memorandum on industrial cooperation", "Program of regional cooperation",
                     "Agreement on mutual protection of investments", "Treaty on friendship and cooperation",
                     "Agreement on avoidance of double taxation", "Action plan on agriculture",
                     "Agreement on scientific and technical cooperation", "Contract on tractor supply"]

SOURCE_TITLES = ["Kazakhstan–Belarus relations: a review", "Belarus in Central Asia",
                 "Trade statistics of the Eurasian Economic Union", "Bilateral treaties register",
                 "Press releases of the Ministry of Foreign Affairs", "Regional cooperation yearbook"]

# (Latin, Cyrillic) pairs: the Cyrillic form becomes a translation alias of the person.
GIVEN_NAMES = {
    "KZ": [("Nursultan", "Нурсултан"), ("Kassym-Zhomart", "Касым-Жомарт"), ("Askar", "Аскар"),
           ("Serik", "Серик"), ("Yerlan", "Ерлан"), ("Dauren", "Даурен"), ("Aigerim", "Айгерим"),
           ("Gulnara", "Гульнара"), ("Saule", "Сауле"), ("Bakhyt", "Бахыт"), ("Zhanna", "Жанна"),
           ("Marat", "Марат"), ("Timur", "Тимур"), ("Aliya", "Алия"), ("Dinara", "Динара")],
    "BY": [("Alexander", "Александр"), ("Sergei", "Сергей"), ("Mikhail", "Михаил"), ("Viktor", "Виктор"),
           ("Andrei", "Андрей"), ("Vladimir", "Владимир"), ("Natalia", "Наталья"), ("Olga", "Ольга"),
           ("Tatiana", "Татьяна"), ("Yury", "Юрий"), ("Dmitry", "Дмитрий"), ("Roman", "Роман")],
}
FAMILY_NAMES = {
    "KZ": [("Nazarbayev", "Назарбаев"), ("Tokayev", "Токаев"), ("Mamin", "Мамин"),
           ("Sagintayev", "Сагинтаев"), ("Massimov", "Масимов"), ("Akhmetov", "Ахметов"),
           ("Zhaksybekov", "Жаксыбеков"), ("Tasmagambetov", "Тасмагамбетов"), ("Kulibayev", "Кулибаев"),
           ("Iskakov", "Искаков"), ("Abdrakhmanov", "Абдрахманов"), ("Smailov", "Смаилов")],
    "BY": [("Lukashenko", "Лукашенко"), ("Kobyakov", "Кобяков"), ("Myasnikovich", "Мясникович"),
           ("Rumas", "Румас"), ("Golovchenko", "Головченко"), ("Makei", "Макей"), ("Sidorsky", "Сидорский"),
           ("Semashko", "Семашко"), ("Petrishenko", "Петришенко"), ("Kochanova", "Кочанова"),
           ("Zhuk", "Жук"), ("Kovalenko", "Коваленко")],
}
PATRONYMICS = ["Abishevich", "Grigorievich", "Nikolaevich", "Kemelevich", "Ivanovich", "Petrovich"]

POSITION_TITLES = ["Minister", "Deputy Minister", "Ambassador", "Director General", "Chairman of the Board",
                   "Head of Department", "Trade Representative", "Rector"]

# Spelling swaps a user might type instead of the stored form; search folds them together.
SPELLING_SWAPS = [("ay", "ai"), ("kh", "h"), ("y", "i"), ("zh", "j"), ("ya", "ia"), ("ei", "ey")]
