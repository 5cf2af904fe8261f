"""Name tables with census-like frequencies for synthetic patients.

Chart lookup is only tested honestly if the registry looks like a real one: a few very
common surnames (Smith, Johnson, Garcia ...) that produce many near-identical charts, and a
long tail of rare ones. The lists below are in approximate US-census rank order; the weight
of the name at rank r is ``1 / (r + 1) ** s`` (a Zipf curve fitted by eye to the census:
Smith is ~1.3x Johnson and ~150x the 1000th name).

Special shapes the matcher must cope with (hyphens, apostrophes, particles, accents) are
kept in separate small tables and mixed in at low, realistic rates by ``patients.py``.
"""

from __future__ import annotations

import itertools

# About 1000 surnames, most common first (approximate 2010 US census order).
_SURNAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns
Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt
Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer
Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant
Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight
Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado
Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence
Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez Wheeler Valdez
Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr
Lawson Jacobs Obrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson
Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang
Weber Welch Rojas Lucas Marquez Fields Park Yang Little Banks Padilla Day Walsh Bowman
Schultz Luna Fowler Mejia Davidson Acosta Brewer May Holland Juarez Newman Pearson Curtis
Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila Wade Molina Stanley
Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe
Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris
Jennings Watts Duran Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Deleon
Barker Terry Hale Leon Hail Benson Haynes Horton Miles Lyons Pham Graves Bush Thornton
Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy Love
Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon
Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis
Robbins Liu Ramsey Francis Griffith Paul Blair Oconnor Cardenas Pacheco Cross Calderon Quinn
Moss Swanson Chan Rivas Khan Rodgers Serrano Fitzgerald Rosales Stevenson Christensen
Manning Gill Curry McLaughlin Harmon McGee Gross Doyle Garner Newton Burgess Reese Walton
Blake Trujillo Adkins Brady Goodman Roman Webster Goodwin Fischer Huang Potter Delacruz
Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate Mack Sherman Hubbard Hodges Zhang
Guerra Wolf Valencia Saunders Franco Rowe Gallagher Farmer Hammond Hampton Townsend Ingram
Wise Gallegos Clarke Barton Schroeder Maxwell Waters Logan Camacho Strickland Norman Person
Colon Parsons Frank Harrington Glover Osborne Buchanan Casey Floyd Patton Ibarra Ball
Tyler Suarez Bowers Orozco Salas Cobb Gibbs Andrade Bauer Conner Moody Escobar McGuire
Lloyd Mueller Hartman French Kramer McBride Pope Lindsey Velazquez Norton McCormick Sparks
Flynn Yates Hogan Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock
Villarreal Charles Drake Barrera Cain Patrick Pineda Burnett Mercado Santana Shepherd
Bautista Ali Shaffer Lamb Trevino McKenzie Hess Beil Olsen Cochran Morton Nash Wilkins
Petersen Briggs Shah Roth Nicholson Holloway Lozano Rangel Flowers Hoover Short Arias Mora
Valenzuela Bryan Meyers Weiss Underwood Bass Greer Summers Houston Carson Morrow Clayton
Whitaker Decker Yoder Collier Zuniga Carey Wilcox Melendez Poole Roberson Larsen Conley
Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson Hood Monroe Anthony Pittman Huynh
Randall Singleton Kirk Combs Mathis Christian Skinner Bradford Richard Galvan Wall Boone
Kirby Wilkinson Bridges Bruce Atkinson Velez Meza Roy Vincent York Hodge Villa Abbott
Allison Tapia Gates Chase Sosa Sweeney Farrell Wyatt Dalton Horn Barron Phelps Yu Dickerson
Heath Foley Atkins Mathews Bonilla Acevedo Benitez Zavala Hensley Glenn Cisneros Harrell
Shields Rubio Huffman Choi Boyer Garrison Arroyo Bond Kane Hancock Callahan Dillon Cline
Wiggins Grimes Arellano Melton Oneill Savage Ho Beltran Pitts Parrish Ponce Rich Booth
Koch Golden Ware Brennan McDowell Marks Cantu Humphrey Baxter Sawyer Clay Tanner Hutchinson
Kaur Berg Wiley Gilmore Russo Villegas Hobbs Keith Wilkerson Ahmed Beard McClain Montes
Mata Rosario Vang Walter Henson Oneal Mosley McClure Beasley Stephenson Snow Huerta Preston
Vance Barry Johns Eaton Blackwell Dyer Prince Macdonald Solomon Guevara Stafford English
Hurst Woodard Cortes Shannon Kemp Nolan McCullough Merritt Murillo Moon Salgado Strong
Kline Cordova Barajas Roach Rosas Winters Jacobson Lester Knox Bullock Kerr Leach Meadows
Orr Davila Whitehead Pruitt Kent Conway McKee Barr David Dejesus Marin Berger McIntyre
Blankenship Gaines Palacios Cuevas Bartlett Durham Dorsey McCall Odonnell Stein Browning
Stout Lowery Sloan McLean Hendricks Calhoun Sexton Chung Gentry Hull Duarte Ellison Nielsen
Gillespie Buck Middleton Sellers Leblanc Esparza Hardin Bradshaw McIntosh Howe Livingston
Frost Glass Morse Knapp Herman Stark Bravo Noble Spears Weeks Corona Frederick Buckley
McFarland Hebert Enriquez Hickman Quintero Randolph Schaefer Walls Trejo House Reilly
Pennington Michael Conrad Giles Benjamin Crosby Fitzpatrick Donovan Mays Mahoney Valentine
Raymond Medrano Hahn McMillan Small Bentley Felix Peck Lucero Boyle Hanna Pace Rush Hurley
Harding McConnell Bernal Nava Ayers Everett Ventura Avery Pugh Mayer Bender Shepard McMahon
Landry Case Sampson Moses Magana Blackburn Dunlap Gould Duffy Vaughan Herring McKay
Espinosa Rivers Farley Bernard Ashley Friedman Potts Truong Costa Correa Blevins Nixon
Clements Fry Delarosa Best Benton Lugo Portillo Dougherty Crane Haley Phan Villalobos
Blanchard Horne Finley Quintana Lynn Esquivel Bean Dodson Mullen Xiong Hayden Cano Levy
Huber Richmond Moyer Lim Frye Sheppard McCarty Avalos Booker Waller Parra Woodward Jaramillo
Krueger Rasmussen Brandt Peralta Donaldson Stuart Faulkner Maynard Galindo Coffey Estes
Sanford Burch Maddox Vo Oconnell Vu Andersen Spence McPherson Church Schmitt Stanton
Leal Cherry Compton Dudley Sierra Pollard Alfaro Hester Proctor Lu Hinton Novak Good
Madden McCann Terrell Jarvis Dickson Reyna Cantrell Mayo Branch Hendrix Rollins Rowland
Whitney Duke Odom Daugherty Travis Tang Archer
"""

# Weights for the special-shape tables are relative to the ordinary table's middle band.
# Hyphenated double surnames are generated by joining two Hispanic surnames; these are the
# first parts most often seen.
HYPHEN_PARTS = [
    "Garcia",
    "Lopez",
    "Martinez",
    "Rodriguez",
    "Hernandez",
    "Gonzalez",
    "Perez",
    "Sanchez",
    "Ramirez",
    "Torres",
    "Flores",
    "Rivera",
    "Gomez",
    "Diaz",
    "Cruz",
    "Morales",
    "Reyes",
    "Ortiz",
    "Ramos",
    "Castillo",
    "Vargas",
    "Mendoza",
    "Ruiz",
    "Jimenez",
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Taylor",
    "Miller",
]

APOSTROPHE_SURNAMES = (
    "O'Brien",
    "O'Connor",
    "O'Neill",
    "O'Donnell",
    "O'Connell",
    "O'Neal",
    "O'Sullivan",
    "O'Malley",
    "O'Hara",
    "O'Leary",
    "D'Angelo",
    "D'Amico",
    "D'Souza",
    "D'Arcy",
    "O'Keefe",
)

PARTICLE_SURNAMES = (
    "De la Cruz",
    "De La Rosa",
    "Del Rio",
    "De Leon",
    "De Jesus",
    "Van der Berg",
    "Van Buren",
    "Van Dyke",
    "Van Horn",
    "Von Essen",
    "St. John",
    "St. Pierre",
    "La Fontaine",
    "Le Blanc",
    "Da Silva",
    "Dos Santos",
    "Mac Donald",
    "Di Maria",
)

# Accented spellings of names that also occur plain: a registry holds both forms.
ACCENTED_SURNAMES = {
    "Munoz": "Muñoz",
    "Nunez": "Nuñez",
    "Pena": "Peña",
    "Ibanez": "Ibáñez",
    "Gomez": "Gómez",
    "Perez": "Pérez",
    "Martinez": "Martínez",
    "Hernandez": "Hernández",
    "Rodriguez": "Rodríguez",
    "Ramirez": "Ramírez",
    "Diaz": "Díaz",
    "Jimenez": "Jiménez",
    "Mueller": "Müller",
    "Schroeder": "Schröder",
    "Fernandez": "Fernández",
    "Gonzalez": "González",
    "Lopez": "López",
    "Sanchez": "Sánchez",
    "Chavez": "Chávez",
    "Alvarez": "Álvarez",
    "Velazquez": "Velázquez",
    "Castaneda": "Castañeda",
}

_FEMALE = """
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie
Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela
Nicole Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine
Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn
Judith Andrea Hannah Megan Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann
Kathryn Abigail Sophia Frances Jean Alice Judy Isabella Julia Grace Amber Denise Danielle
Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori Marie
Tiffany Rose Kathy Joanne Nora Tammy Kristen Lillian Ava Mia Ella Chloe Harper Avery Sofia
Camila Aria Scarlett Penelope Layla Riley Zoey Nora Lily Eleanor Hazel Violet Aurora Savannah
Audrey Brooklyn Bella Claire Skylar Lucy Paisley Everly Caroline Nova Genesis Emilia Kennedy
Maya Willow Kinsley Naomi Aaliyah Elena Ariana Allison Gabriella Alice Madelyn Cora Ruby Eva
Serenity Autumn Adeline Hailey Gianna Valentina Isla Eliana Quinn Nevaeh Ivy Sadie Piper
Lydia Alexa Josephine Emery Julia Delilah Arianna Vivian Kaylee Sophie Brielle Madeline
Peyton Rylee Clara Hadley Melanie Mackenzie Reagan Adalynn Liliana Aubree Jade Katherine
Isabelle Natalia Raelynn Maria Athena Ximena Arya Leilani Taylor Faith Rose Kylie Alexandra
Mary Margaret Lyla Ashley Amaya Eliza Brianna Bailey Andrea Khloe Jasmine Melody Iris
Isabel Norah Annabelle Valeria Emerson Adalyn Ryleigh Eden Emersyn Anastasia Kayla Alyssa
Juliana Charlie Esther Ariel Cecilia Valerie Alina Molly Reese Aliyah Lilly Parker Finley
Morgan Sydney Jordyn Eloise Trinity Daisy Kimberly Lauren Genevieve Sara Arabella Harmony
Elise Remi Teagan Alexis London Sloane Laila Lucia Diana Juliette Sienna Elliana Londyn Ayla
Callie Gracie Josie Amara Jocelyn Daniela Everleigh Mya Rachel Summer Alana Brooke Alaina
Mckenzie Catalina Amiyah Rosalie Carmen Tessa Wendy Yolanda Rita Irene Louise Carmen Marjorie
Esther Ethel Ellen Lois Gail Phyllis Connie Annie Bonnie Peggy Paula Dawn Joy Tina Vanessa
Erin Holly Jill Monica Sue Sylvia Wanda Edna Tracy Rhonda Sherry Leslie Erica Renee Lucille
Dana Carla Mildred Veronica Regina Stacy Kristin Bernice Lorraine Pauline Vera Marion
Hilda Jeanne Loretta Yvonne Glenda Darlene Colleen Gwendolyn Agnes Toni Geraldine Lena
Beatrice Fatima Aisha Priya Mei Linh Yesenia Guadalupe Rosa Lucia Marisol Graciela Leticia
Kathrine Katharine Kathy Cathy Kristina Krystal Cristina Caitlin Kaitlyn Katelyn Caitlyn
Sophia Stefanie Stephany Jillian Gillian Deanna Dianna Ann Anne Annette Anita Lynn Lynne
Meghan Megan Shannon Shelby Courtney Kristy Kirsten Jenna Lindsay Lindsey Allyson Alison
Chelsea Whitney Krista Mallory Haley Kelsey Bethany Tara Misty Robin Jodi Candace Kara
"""

_MALE = """
James Robert John Michael David William Richard Joseph Thomas Charles Christopher Daniel
Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy
Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin
Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry
Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy
Christian Keith Roger Terry Gerald Harold Sean Austin Carl Arthur Lawrence Dylan Jesse
Jordan Bryan Billy Joe Bruce Gabriel Logan Albert Willie Alan Juan Wayne Elijah Randy Roy
Vincent Ralph Eugene Russell Bobby Mason Philip Louis Liam Oliver Lucas Levi Sebastian
Mateo Jack Owen Theodore Aiden Luke Grayson Julian Wyatt Jaxon Isaiah Lincoln Hudson Hunter
Ezra Thomas Charles Caleb Josiah Christopher Cameron Maverick Jaxson Easton Miles Nolan
Colton Leo Adrian Asher Jeremiah Cooper Carter Jayden Santiago Angel Robert Greyson Dominic
Ian Axel Elias Kai Declan Rowan Ayden Brooks Weston Micah Everett Silas Jonah Nathaniel
Carson Parker Ryder Roman Bentley Ezekiel Xavier Jace Jameson Sawyer Vincent Harrison Bennett
Emmett Leonardo Luca Waylon Jason Chase Diego Kayden Tristan George Max Legend Ashton Brayden
Bryson Ivan Giovanni Jesus Jude Kingston Luis Emmanuel Ryker Maxwell Calvin Carlos Eric
Timothy Abel Alex Nicolas Antonio Victor Hayden Jesse Kaiden Finn Rhett Beau Zion Tucker
Camden Brody Miguel Alejandro Richard Graham Knox Enzo Jaden King Emiliano Patrick Gavin
Andres Kevin Eduardo Bryce Malachi Cole Mark Jorge Preston Manuel Paxton Lorenzo Ace Barrett
Francisco Paul Cody Ricardo Bradley Martin Marcus Javier Sergio Fernando Raul Ruben Oscar
Pedro Rafael Hector Edgar Mario Arturo Alberto Armando Enrique Roberto Salvador Ernesto
Clarence Earl Howard Fred Harry Stanley Leonard Dale Curtis Norman Allen Marvin Glenn Jeffery
Travis Jeff Chad Lee Melvin Alfred Francis Bradley Herbert Frederick Ray Joel Edwin Don
Eddie Ricky Troy Randall Barry Bernard Mario Leroy Francisco Marcus Micheal Theodore
Clifford Miguel Oscar Jay Jim Tom Calvin Alex Jon Ronnie Bill Lloyd Tommy Leon Derek Warren
Darrell Jerome Floyd Leo Alvin Tim Wesley Gordon Dean Greg Jorge Dustin Pedro Derrick Dan
Lewis Zachary Corey Herman Maurice Vernon Roberto Clyde Glen Hector Shane Ricardo Sam Rick
Lester Brent Ramon Charlie Tyrone Gilbert Gene Marc Reginald Ruben Brett Angel Nathaniel
Rafael Leslie Edgar Milton Raul Ben Chester Cecil Duane Franklin Andre Elmer Brad Gabriel
Ron Mitchell Roland Arnold Harvey Jared Adrian Karl Cory Claude Erik Darryl Jamie Neil
Jessie Christian Javier Fernando Clinton Ted Mathew Tyrone Darren Lonnie Lance Cody Julio
Kurt Allan Nelson Guy Clayton Hugh Max Dwayne Dwight Armando Felix Jimmie Everett Jordan
Ian Wallace Ken Bob Jaime Casey Alfredo Alberto Dave Ivan Johnnie Sidney Byron Julian
Isaac Morris Clifton Willard Daryl Ross Virgil Andy Marshall Salvador Perry Kirk Sergio
Marion Tracy Seth Kent Terrance Rene Eduardo Terrence Enrique Freddie Wade Mohammed Ahmed
Omar Ali Hassan Wei Minh Tuan Raj Arjun Rahul Sanjay Hiroshi Kenji Jin Sung Jun Hyun
Stephon Stevan Jonathon Johnathan Jonathan Jon Jonny Kristopher Christoper Geoffrey Jeffry
Micheal Mikel Nicolaus Nickolas Phillip Filip Mathias Matthias Stephan Steve Stevie
"""

ACCENTED_GIVEN = {
    "Jose": "José",
    "Zoey": "Zoë",
    "Zoe": "Zoë",
    "Jesus": "Jesús",
    "Ramon": "Ramón",
    "Andres": "Andrés",
    "Raul": "Raúl",
    "Ruben": "Rubén",
    "Hector": "Héctor",
    "Oscar": "Óscar",
    "Ivan": "Iván",
    "Sofia": "Sofía",
    "Lucia": "Lucía",
    "Ximena": "Ximena",
    "Chloe": "Chloé",
    "Renee": "Renée",
    "Noel": "Noël",
    "Angel": "Ángel",
    "Maria": "María",
    "Nicolas": "Nicolás",
}

# Look-alike spellings a clerk or OCR confuses; used to make 'similar_name' neighbours.
GIVEN_VARIANTS: dict[str, tuple[str, ...]] = {
    "John": ("Jon", "Jonathan", "Johnny"),
    "Jon": ("John",),
    "Jonathan": ("Jonathon", "Johnathan", "John"),
    "Steven": ("Stephen", "Stevan", "Steve"),
    "Stephen": ("Steven", "Stephan"),
    "Katherine": ("Catherine", "Kathryn", "Katharine", "Kathrine"),
    "Catherine": ("Katherine", "Kathryn", "Cathy"),
    "Kathryn": ("Katherine", "Catherine"),
    "Christopher": ("Kristopher", "Christoper", "Chris"),
    "Michael": ("Micheal", "Mikel", "Mike"),
    "Jeffrey": ("Geoffrey", "Jeffery", "Jeffry"),
    "Nicholas": ("Nicolas", "Nickolas", "Nicolaus"),
    "Philip": ("Phillip", "Filip"),
    "Matthew": ("Mathew", "Matthias"),
    "Sara": ("Sarah",),
    "Sarah": ("Sara",),
    "Ann": ("Anne", "Anna"),
    "Anne": ("Ann",),
    "Megan": ("Meghan", "Meagan"),
    "Lindsay": ("Lindsey",),
    "Lindsey": ("Lindsay",),
    "Allison": ("Alison", "Allyson"),
    "Kristen": ("Kirsten", "Kristin"),
    "Caitlin": ("Kaitlyn", "Katelyn", "Caitlyn"),
    "Elizabeth": ("Elisabeth", "Liz", "Beth"),
    "Robert": ("Rob", "Bob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Margaret": ("Peggy", "Maggie", "Meg"),
    "Jennifer": ("Jenny", "Jen", "Jenifer"),
    "Deborah": ("Debra", "Debbie"),
    "Debra": ("Deborah",),
    "Stephanie": ("Stefanie", "Stephany"),
    "Teresa": ("Theresa",),
    "Theresa": ("Teresa",),
    "Gillian": ("Jillian",),
    "Jillian": ("Gillian",),
    "Brian": ("Bryan",),
    "Bryan": ("Brian",),
    "Eric": ("Erik", "Erick"),
    "Sean": ("Shawn", "Shaun"),
    "Alan": ("Allan", "Allen"),
    "Allen": ("Alan", "Allan"),
    "Mohammed": ("Mohammad", "Muhammad"),
}

FAMILY_VARIANTS: dict[str, tuple[str, ...]] = {
    "Smith": ("Smyth", "Smithe"),
    "Johnson": ("Johnston", "Jonson"),
    "Johnston": ("Johnson",),
    "Thompson": ("Thomson", "Tompson"),
    "Peterson": ("Petersen", "Pedersen"),
    "Petersen": ("Peterson",),
    "Anderson": ("Andersen",),
    "Andersen": ("Anderson",),
    "Hansen": ("Hanson",),
    "Hanson": ("Hansen",),
    "Meyer": ("Meyers", "Myers", "Meier"),
    "Myers": ("Meyers", "Meyer"),
    "Reid": ("Reed", "Read"),
    "Reed": ("Reid",),
    "Gray": ("Grey",),
    "Brown": ("Browne",),
    "Clark": ("Clarke",),
    "Clarke": ("Clark",),
    "Philips": ("Phillips",),
    "Phillips": ("Philips",),
    "Stevens": ("Stephens",),
    "Stephens": ("Stevens",),
    "Stevenson": ("Stephenson",),
    "Stephenson": ("Stevenson",),
    "McDonald": ("MacDonald", "Macdonald"),
    "Macdonald": ("McDonald",),
    "Gonzalez": ("Gonzales",),
    "Gonzales": ("Gonzalez",),
    "Rodriguez": ("Rodrigues",),
    "Schmidt": ("Schmitt", "Smit"),
    "Schmitt": ("Schmidt",),
    "Carlson": ("Carlsen", "Karlson"),
    "Nielsen": ("Nielson", "Neilson"),
    "Olson": ("Olsen",),
    "Olsen": ("Olson",),
    "Cohen": ("Cohn", "Kohn"),
    "Hernandez": ("Hernandes",),
    "Vasquez": ("Vazquez", "Velasquez"),
    "Vazquez": ("Vasquez",),
    "Nguyen": ("Nguyan", "Ngyuen"),
    "Lee": ("Li", "Leigh"),
    "Li": ("Lee",),
}

MIDDLE_NAMES_F = [
    "Ann",
    "Marie",
    "Lynn",
    "Elizabeth",
    "Rose",
    "Jean",
    "Louise",
    "Grace",
    "Mae",
    "Nicole",
    "Renee",
    "Michelle",
    "Jo",
    "Kay",
]
MIDDLE_NAMES_M = [
    "James",
    "Michael",
    "Lee",
    "Allen",
    "Edward",
    "Joseph",
    "Wayne",
    "Ray",
    "Alan",
    "Thomas",
    "Paul",
    "David",
    "John",
    "Scott",
]


def _unique(words: str) -> tuple[str, ...]:
    """Split a rank-ordered blob and keep first occurrences: the first rank wins."""
    seen: dict[str, None] = {}
    for w in words.split():
        seen.setdefault(_fix_case(w), None)
    return tuple(seen)


def _fix_case(name: str) -> str:
    """Census tables store O'BRIEN as OBRIEN; give such names back their apostrophe."""
    if name.startswith(("Oc", "Ob", "On", "Od")) and name not in ("Ochoa", "Odom", "Olson"):
        return "O'" + name[1].upper() + name[2:]
    return name


def zipf_cum_weights(n: int, s: float = 0.8, offset: float = 1.0) -> list[float]:
    """Cumulative Zipf weights, for ``random.choices(cum_weights=...)`` (fast, no per-call sum)."""
    return list(itertools.accumulate(1.0 / (r + offset) ** s for r in range(1, n + 1)))


SURNAMES: tuple[str, ...] = _unique(_SURNAMES)
FEMALE_GIVEN: tuple[str, ...] = _unique(_FEMALE)
MALE_GIVEN: tuple[str, ...] = _unique(_MALE)
SURNAME_CUM_WEIGHTS = zipf_cum_weights(len(SURNAMES), s=0.8)
FEMALE_CUM_WEIGHTS = zipf_cum_weights(len(FEMALE_GIVEN), s=0.9)
MALE_CUM_WEIGHTS = zipf_cum_weights(len(MALE_GIVEN), s=0.9)
