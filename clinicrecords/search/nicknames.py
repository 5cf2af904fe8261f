"""Given-name equivalences (Bill = William, Peggy = Margaret, ...) for chart lookup.

A patient registered as `William` phones in as `Bill`; an outside lab prints `Peggy` for
`Margaret`. Spelling distance cannot bridge these, so they come from this table. Each line is
one group of interchangeable names (formal names and their common diminutives, English-language
usage in North America); a name in several groups (`Kate`, `Chris`, `Alex`) links to all of
them. Strength: formal <-> nickname is full strength; two
nicknames of the same formal name are linked more weakly (see `_build`).
"""

from __future__ import annotations

_GROUPS = """
aaron ron ronnie
abigail abby abbie gail
abraham abe bram
adam ad
adelaide addie adela della heidi
adeline addie addy
agnes aggie nessa
albert al bert bertie
alberta allie bertie
alexander alex al alec sandy sasha xander lex
alexandra alex alexa sandra sandy sasha lexie lexi
alexis alex lexi
alfred al alf fred freddie
alice allie ally elsie
alicia allie ally
allison allie ally ali
amanda mandy manda
amelia amy millie mia
anastasia ana stacy stacey tasha
andrea andi andie
andrew andy drew
angela angie angel
ann anne annie nan nancy anna hannah
anthony tony ant
antoinette toni netty
archibald archie
arnold arnie
arthur art artie
augustine gus austin
augustus gus
barbara barb barbie babs bobbie
bartholomew bart
beatrice bea trixie
benedict ben benny
benjamin ben benny benji
bernard bernie barney
bertram bert bertie
beverly bev
bradley brad
brian bryan
bridget biddy bridie
calvin cal
cameron cam
carol carole caroline carrie
caroline carrie carol lina
catherine cathy kate katie cat kathy cassie
charles charlie chuck chas chaz chip
charlotte charlie lottie lotte
christian chris kit
christina chris tina chrissy christy
christine chris tina chrissy christy
christopher chris kit topher
clarence clare
clifford cliff
constance connie
cornelius neil connie
cynthia cindy
daniel dan danny
danielle dani danny
david dave davey
deborah debbie deb debra
delores dee lola dolly
dennis denny
diana di diane
dominic dom nick
donald don donnie
dorothy dot dottie dolly dora
douglas doug
earnest ernie
edgar ed eddie
edmund ed eddie ned
edward ed eddie ned ted teddy
edwin ed eddie
eleanor ellie nell nora elle
elizabeth liz beth betty lizzie eliza betsy libby bess elsie lisa
ellen ellie nell
emily em emmy millie
emma em emmy
eric rick ricky
ernest ernie
eugene gene
evelyn eve evie lyn
florence flo flossie
frances fran fanny frankie
francis frank frankie fran
franklin frank
frederick fred freddie fritz rick
gabriel gabe gabby
gabrielle gabby elle
geoffrey geoff jeff
gerald gerry jerry
geraldine gerry geri dina
gertrude gertie trudy
gilbert gil bert
gloria glory
gregory greg
gwendolyn gwen wendy
harold hal harry
harriet hattie harry
harrison harry
helen nell nellie ellie
henrietta etta hattie
henry hank harry hal
herbert herb bert
howard howie
ignatius iggy
isaac ike
isabel isabelle izzy bella belle
isabella izzy bella belle
jacob jake jay
jacqueline jackie jacky
james jim jimmy jamie jimbo
jane janie jenny jan
janet jan jenny
jeffrey jeff
jennifer jen jenny jenn
jeremiah jerry jeremy
jeremy jerry
jerome jerry
jessica jess jessie
joan joanie
joanna jo joanie
johanna jo hanna
john jack johnny jon jonny
jonathan jon jonny nathan
joseph joe joey jos
josephine jo josie
joshua josh
judith judy jude
julia julie jules
julian jules
katherine kate katie kathy kat kay kitty
kathleen kate kathy katie kay
kenneth ken kenny
kimberly kim kimmy
lawrence larry laurie
leonard leo len lenny
leslie les
lillian lily lil
linda lindy
louis lou louie
louise lou lulu
lucille lucy lu
lucinda lucy cindy
luke lucas
madeline maddie maddy madge
margaret peggy maggie meg marge margie greta daisy margo
marguerite maggie margo rita
marian mary marion
marilyn mary lyn
martha marty patty mattie
martin marty
mary molly polly mae mamie maria mimi
matilda tilly mattie
matthew matt matty
maureen mo
maximilian max
maxwell max
melanie mel
melissa missy mel lisa
michael mike mikey mick mickey
michelle shelly michele
mildred millie
miriam mimi
mitchell mitch
nancy nan
natalie nat talia
nathan nate nat
nathaniel nate nat nathan
nicholas nick nicky nico
nicole nikki nicky
norman norm
oliver ollie
olivia liv livvy
pamela pam
patricia pat patty trish tricia
patrick pat paddy rick
paul paulie
penelope penny
peter pete
philip phil pip
phillip phil
priscilla cilla prissy
rachel rach shelly
randolph randy
raymond ray
rebecca becky becca
regina reggie gina
reginald reggie reg
richard rick dick rich richie ricky
robert bob bobby rob robbie bert
roberta bobbie robbie
rodney rod
roger rog
ronald ron ronnie
rosalind roz rosa
rose rosie
rosemary rose rosie
russell russ
ruth ruthie
samantha sam sammy
samuel sam sammy
sandra sandy sandi
sarah sara sally sadie
sharon shari
shirley shirl
solomon sol
sophia sophie
stanley stan
stephanie steph stevie
stephen steve stevie
steven steve stevie
stuart stu
susan sue susie suzy
suzanne sue susie suzy
sylvester sly
teresa terry tess tessa tracy
theodora dora teddy
theodore ted teddy theo
thomas tom tommy
timothy tim timmy
tobias toby
valentine val
valerie val
veronica ronnie vera
victor vic
victoria vicky tori vic
vincent vince vinny
virginia ginny ginger
vivian viv
walter walt wally
wilfred fred freddie will
wilhelmina mina willa billie
william bill billy will willie liam
winifred winnie fred
yolanda yoli
zachary zach zack
""".strip()


FORMAL_WEIGHT = 1.0  # nickname <-> its formal name (Bill ~ William)
SIBLING_WEIGHT = 0.75  # two nicknames of one formal name (Bill ~ Will): weaker evidence


def _build() -> dict[str, dict[str, float]]:
    """name -> {equivalent name: strength}; the first word of each group is the formal name.

    A nickname reaches other nicknames of its formal name only weakly, and never through a
    shared nickname of two formal names: `Jon` is in both John's and Jonathan's groups, but
    that must not make `Jon` look like `Nathan` as strongly as it looks like `John`.
    """
    table: dict[str, dict[str, float]] = {}

    def link(a: str, b: str, w: float) -> None:
        if a != b and w > table.setdefault(a, {}).get(b, 0.0):
            table[a][b] = w

    for line in _GROUPS.splitlines():
        formal, *nicks = line.split()
        for nick in nicks:
            link(formal, nick, FORMAL_WEIGHT)
            link(nick, formal, FORMAL_WEIGHT)
            for other in nicks:
                link(nick, other, SIBLING_WEIGHT)
    return table


_TABLE = _build()
_EMPTY: dict[str, float] = {}


def equivalents(name: str) -> dict[str, float]:
    """Names interchangeable with folded `name` (itself excluded) and how strongly (0..1).

    The returned dict is shared: do not modify it.
    """
    return _TABLE.get(name, _EMPTY)


def are_equivalent(a: str, b: str) -> bool:
    """True when two folded given names are the same person's name by the table."""
    return b in equivalents(a)


def table_size() -> int:
    """Number of distinct (name, equivalent) pairs: for tests and the report."""
    return sum(len(v) for v in _TABLE.values()) // 2
