"""The demo reports: what fictitious reporters wrote and what the officers did, in the
language each reporter chose. Names, firms and events are invented.

A case is a report plus its steps, each on a day counted from the day the report arrived.
:mod:`app.services.demo.reports` replays them through the real services.
"""

from dataclasses import dataclass, field

from app.models import MessageKind, Outcome, ReportChannel, ReportStatus


@dataclass(frozen=True)
class Step:
    """One thing that happened to a demo case, ``day`` days after it arrived.

    ``action`` is acknowledge, officer (a message of ``kind``), reporter (a message, with
    ``files``), note, triage (``rating``), assign (the officer ``officer``), status (to
    ``status``, with ``outcome`` when closing), revise (the minutes, to ``text``, saying
    what changed in ``change``) or approve (the reporter approves the current minutes).
    """

    day: int
    action: str
    text: str = ""
    kind: MessageKind | None = None
    status: ReportStatus | None = None
    outcome: Outcome | None = None
    rating: tuple[int, int] = (0, 0)
    officer: int = 1
    files: tuple[tuple[str, bytes], ...] = ()
    change: str = ""  # revise: what the officer changed


@dataclass(frozen=True)
class DemoCase:
    """A demo report: where, when (days before today), what, and what followed."""

    slug: str
    received_days_ago: int
    language: str
    category: str
    what_happened: str
    when_where: str = ""
    people_involved: str = ""
    how_known: str = ""
    urgency: str = "normal"
    steps: tuple[Step, ...] = field(default_factory=tuple)
    # Registered by officer 1 when not the web form: ``what_happened`` is then the record.
    channel: ReportChannel = ReportChannel.WEB
    meeting_request: str = ""  # the reporter asks for a meeting or a call, saying this


CAR_LOG = ("Data;Automobilis;Kur matytas\n"
           "2026-03-07 (šeštadienis);LRS 412;Molėtų g. sodų bendrija\n"
           "2026-03-14 (šeštadienis);LRS 412;Tauragnai, prie ežero\n"
           "2026-03-21 (šeštadienis);LRS 412;Molėtų g. sodų bendrija\n").encode()

DEMO_CASES: tuple[DemoCase, ...] = (
    # --- Utena: a municipality working in Lithuanian --------------------------------------
    DemoCase(
        "utena", 2, "lt", "procurement",
        "Skelbiamas gatvių apšvietimo modernizavimo pirkimas parengtas taip, kad jį galėtų "
        "laimėti tik viena įmonė: techninėje specifikacijoje nurodytas konkretaus gamintojo "
        "šviestuvo modelis ir sertifikatas, kurį Lietuvoje turi tik UAB „Šviesos linija“. "
        "Specifikaciją rengė skyriaus specialistas, kuris anksčiau dirbo šioje įmonėje.",
        when_where="Pirkimas paskelbtas praėjusią savaitę, CVP IS.",
        people_involved="Infrastruktūros skyriaus specialistas (specifikacijos rengėjas).",
        how_known="Dalyvauju rengiant pirkimų dokumentus kitame skyriuje."),
    DemoCase(
        "utena", 9, "lt", "misuse_of_funds",
        "Savivaldybės tarnybinis automobilis savaitgaliais naudojamas asmeniniams reikalams: "
        "jis stovi prie sodų bendrijos, kur vienas skyriaus vedėjų turi sodybą. Kelionės "
        "lapuose šios kelionės neįrašytos. Pridedu savo užsirašytas datas.",
        when_where="Kovo mėnesio šeštadieniai, Molėtų gatvės sodų bendrija ir Tauragnai.",
        people_involved="Vienas iš skyrių vedėjų (vardą galiu pasakyti vėliau).",
        how_known="Mačiau pats, gyvenu netoliese.",
        steps=(Step(0, "reporter", "Pridedu užrašus apie tai, kada mačiau automobilį.",
                    files=(("automobilio_stebejimas.txt", CAR_LOG),)),)),
    DemoCase(
        "utena", 20, "lt", "hiring_favouritism",
        "Į socialinio darbuotojo pareigas priimtas administracijos direktoriaus pavaduotojo "
        "sūnėnas, nors konkurse dalyvavo patyrusių kandidatų. Pokalbio klausimai, "
        "mano žiniomis, jam buvo žinomi iš anksto.",
        when_where="Konkursas vyko prieš mėnesį Socialinės paramos skyriuje.",
        how_known="Buvau vienas iš kandidatų ir kalbėjausi su kitais.",
        steps=(Step(2, "acknowledge"),
               Step(2, "triage", rating=(3, 3)),
               Step(5, "officer", "Ar galėtumėte nurodyti, iš ko sužinojote, kad klausimai "
                    "buvo žinomi iš anksto? Tai padės mums patikrinti informaciją.",
                    kind=MessageKind.QUESTION),
               Step(7, "reporter", "Kitas kandidatas girdėjo, kaip priimtas asmuo prieš "
                    "pokalbį pasakojo, kokie bus klausimai. Jo kontaktus galiu perduoti, jei "
                    "jis sutiks."))),
    DemoCase(
        "utena", 100, "en", "conflict_of_interest",
        "A member of the tender committee for the school canteen contract is married to the "
        "owner of the catering firm that won it. She did not declare the interest and took "
        "part in scoring the bids.",
        when_where="Tender for school meals, decided in January.",
        people_involved="A member of the Education Department's tender committee.",
        how_known="The public declarations register and the committee's minutes.",
        steps=(Step(1, "acknowledge"),
               Step(1, "assign", officer=2),
               Step(3, "status", "The declarations and minutes support the concern; the "
                    "tender file is needed.", status=ReportStatus.INVESTIGATION),
               Step(10, "note", "Requested the tender file and the committee's declarations "
                    "from the Public Procurement Division."),
               Step(30, "officer", "We have obtained the tender documents and are checking "
                    "the committee's declarations.", kind=MessageKind.UPDATE))),
    DemoCase(
        "utena", 150, "lt", "misuse_of_funds",
        "Seniūnijos darbuotojai darbo metu ir savivaldybės technika tvarko privatų sklypą "
        "prie seniūno namų: pjauna žolę, veža žvyrą.",
        when_where="Praėjusią vasarą, kelis kartus per mėnesį.",
        steps=(Step(3, "acknowledge"),
               Step(4, "status", "Reikia patikrinti technikos naudojimo žurnalus.",
                    status=ReportStatus.INVESTIGATION),
               Step(40, "officer", "Patikrinome technikos naudojimo žurnalus ir apklausėme "
                    "darbuotojus. Pažeidimas pasitvirtino: seniūnui pradėta tarnybinė "
                    "nuobauda, žala atlyginama.", kind=MessageKind.FEEDBACK),
               Step(41, "status", "Pažeidimas nustatytas, taikyta nuobauda, žala atlyginta.",
                    status=ReportStatus.CLOSED, outcome=Outcome.SUBSTANTIATED))),
    DemoCase(
        "utena", 60, "lt", "gifts_hospitality",
        "Statybos leidimų skyriaus darbuotojai prieš šventes gavo brangių dovanų krepšelių "
        "iš statybų bendrovės, kurios projektus jie derina.",
        steps=(Step(2, "acknowledge"),
               Step(10, "officer", "Patikrinome: dovanos buvo užregistruotos dovanų "
                    "registre ir perduotos labdarai, kaip numato tvarka. Pažeidimo "
                    "nenustatėme. Ačiū, kad pranešėte.", kind=MessageKind.FEEDBACK),
               Step(10, "status", "Dovanos užregistruotos ir perduotos labdarai pagal "
                    "tvarką; kitų požymių nerasta.", status=ReportStatus.CLOSED,
                    outcome=Outcome.NOT_SUBSTANTIATED))),
    # --- Biržai ---------------------------------------------------------------------------
    DemoCase(
        "birzai", 30, "lt", "bribery",
        "Architektūros skyriaus specialistas užsiminė, kad statybą leidžiantis dokumentas "
        "bus išduotas greičiau, jei „padėkosiu“. Suma nebuvo įvardyta.",
        when_where="Susitikimas savivaldybėje prieš dvi savaites.",
        people_involved="Architektūros ir urbanistikos skyriaus specialistas.",
        how_known="Tai buvo pasakyta man.", urgency="urgent",
        steps=(Step(1, "acknowledge"),
               Step(1, "triage", rating=(3, 4)),
               Step(2, "status", "Reikia įvertinti, ar perduoti STT.",
                    status=ReportStatus.ASSESSMENT),
               Step(6, "officer", "Ar tas specialistas minėjo konkrečią sumą ar būdą, kaip "
                    "turėtumėte „padėkoti“? Ar kas nors dar girdėjo pokalbį?",
                    kind=MessageKind.QUESTION),
               Step(9, "reporter", "Sumos nesakė. Pokalbį girdėjo mano projektuotojas."))),
    DemoCase(
        "birzai", 120, "en", "procurement",
        "Road repair contracts below the threshold for open tenders are split into several "
        "small purchases, all awarded to the same contractor without competition.",
        when_where="Purchases of the Municipal Economy Division during the last year.",
        steps=(Step(2, "acknowledge"),
               Step(5, "status", "Splitting purchases to avoid a tender needs the "
                    "procurement regulator.", status=ReportStatus.INVESTIGATION),
               Step(50, "officer", "We found eleven purchases for the same road works and "
                    "have referred the matter to the Public Procurement Office, which "
                    "is competent to decide on it.", kind=MessageKind.FEEDBACK),
               Step(51, "status", "Referred to the Public Procurement Office.",
                    status=ReportStatus.CLOSED, outcome=Outcome.REFERRED))),
    DemoCase(
        "birzai", 40, "lt", "abuse_of_office",
        "Kaimynas nuolat stato automobilį ant mano sklypo ribos, o seniūnija nieko nedaro.",
        steps=(Step(3, "acknowledge"),
               Step(6, "officer", "Šis klausimas yra kaimynų ginčas, o ne korupcijos "
                    "rizika. Kreipkitės į seniūniją arba policiją.",
                    kind=MessageKind.FEEDBACK),
               Step(6, "status", "Kaimynų ginčas, ne šio kanalo klausimas.",
                    status=ReportStatus.CLOSED, outcome=Outcome.OUTSIDE_SCOPE))),
    DemoCase(
        "birzai", 5, "lt", "fraud",
        "Kultūros centro renginių ataskaitose nurodoma daugiau dalyvių, nei buvo, kad būtų "
        "gautas didesnis finansavimas iš programos.",
        how_known="Dirbu renginiuose ir skaičiavau žiūrovus pats."),
    # --- Fleksibel utdanning Norge: the Norwegian partner -----------------------------------
    DemoCase(
        "fleksibel-utdanning", 100, "nb", "conflict_of_interest",
        "En avdelingsleder har gitt et konsulentoppdrag til et selskap der ektefellen er "
        "styreleder. Oppdraget ble ikke lyst ut, og inhabiliteten er ikke meldt.",
        when_where="Oppdraget om digitale kurs, tildelt i høst.",
        how_known="Jeg så kontrakten i saksbehandlingssystemet.",
        steps=(Step(1, "acknowledge"),
               Step(2, "status", "Kontrakten og styrevervet må undersøkes.",
                    status=ReportStatus.INVESTIGATION),
               Step(8, "officer", "Vet du om oppdraget ble vurdert opp mot "
                    "anskaffelsesreglene før det ble gitt?", kind=MessageKind.QUESTION),
               Step(12, "reporter", "Nei, så vidt jeg vet ble ingen andre tilbydere "
                    "spurt."))),
    DemoCase(
        "fleksibel-utdanning", 80, "nb", "misuse_of_funds",
        "Prosjektmidler fra EØS-ordningen er brukt til en personalfest som er ført som "
        "«workshop» i regnskapet.",
        steps=(Step(2, "acknowledge"),
               Step(3, "status", "Bilagene må gjennomgås.", status=ReportStatus.INVESTIGATION),
               Step(30, "officer", "Vi har gått gjennom bilagene. En del av kostnadene var "
                    "en faglig samling, men middagen skulle ikke vært ført på prosjektet. "
                    "Beløpet er tilbakeført.", kind=MessageKind.FEEDBACK),
               Step(31, "status", "Delvis riktig; beløpet er tilbakeført.",
                    status=ReportStatus.CLOSED, outcome=Outcome.PARTLY_SUBSTANTIATED))),
    DemoCase(
        "fleksibel-utdanning", 1, "nb", "hiring_favouritism",
        "En stilling som rådgiver ble besatt av en venn av lederen uten at stillingen ble "
        "lyst ut internt eller eksternt."),
    DemoCase(
        "fleksibel-utdanning", 12, "en", "gifts_hospitality",
        "A supplier of e-learning software invited two of our staff to a conference in "
        "Barcelona, flights and hotel paid, while we are evaluating its offer.",
        steps=(Step(4, "acknowledge"),)),
    # --- reports received another way (issue 16) -----------------------------------------
    DemoCase(
        "utena", 3, "lt", "bribery",
        "Pranešėjas paskambino ir papasakojo, kad statybos leidimų skyriaus darbuotojas "
        "pasiūlė „paspartinti“ leidimo išdavimą už 300 eurų. Susitikimas vyko prie "
        "savivaldybės pastato, pinigų pranešėjas nedavė. Pranešėjas pageidauja likti "
        "anonimiškas ir sutiko, kad su juo būtų bendraujama per žinučių dėžutę.",
        when_where="Prieš dvi savaites, prie savivaldybės pastato.",
        people_involved="Statybos leidimų skyriaus darbuotojas (vardo pranešėjas nežino).",
        channel=ReportChannel.TELEPHONE),
    DemoCase(
        "fleksibel-utdanning", 9, "nb", "abuse_of_office",
        "Varsleren kom til et møte og fortalte at en avdelingsleder har bedt ansatte om å "
        "slette e-poster om en anskaffelse før en intern revisjon.",
        when_where="I forrige måned, på avdelingsmøtet.",
        channel=ReportChannel.MEETING,
        steps=(Step(1, "acknowledge"),
               Step(2, "revise", "Varsleren kom til et møte og fortalte at en "
                    "avdelingsleder har bedt to ansatte om å slette e-poster om en "
                    "anskaffelse av IT-utstyr før en intern revisjon.",
                    change="Lagt til at det gjaldt to ansatte og IT-utstyr, som varsleren "
                           "ba om."),
               Step(4, "approve"))),
    DemoCase(
        "birzai", 4, "lt", "conflict_of_interest",
        "Mokyklos direktorė sudarė valymo paslaugų sutartį su savo sutuoktinio įmone, "
        "nedeklaravusi interesų konflikto.",
        how_known="Dirbu šioje mokykloje.",
        meeting_request="Norėčiau susitikti ne darbo vietoje, geriausia darbo dienomis po 17 "
                        "val."),
)
