"""Who is on the calls: customer names, cities, agent names and each tenant's line of business."""

from dataclasses import dataclass

IN_FIRST = (
    "Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Rahul", "Amit", "Sandeep", "Vikram", "Karan",
    "Manoj", "Suresh", "Rajesh", "Imran", "Farhan", "Harpreet", "Gurpreet", "Venkatesh", "Srinivas",
    "Anil", "Priya", "Ananya", "Diya", "Sneha", "Pooja", "Neha", "Kavya", "Meera", "Lakshmi",
    "Divya", "Shreya", "Swati", "Sunita", "Ayesha", "Fatima", "Simran", "Deepika", "Bhavna",
    "Nandini", "Ritu",
)
IN_LAST = (
    "Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Shah", "Mehta", "Reddy", "Rao",
    "Iyer", "Nair", "Menon", "Pillai", "Das", "Banerjee", "Chatterjee", "Mukherjee", "Joshi",
    "Kulkarni", "Deshpande", "Khan", "Ansari", "Sheikh", "Gill", "Sandhu", "Agarwal", "Jain",
    "Yadav", "Chauhan",
)
US_FIRST = (
    "James", "Michael", "Robert", "David", "William", "Daniel", "Matthew", "Christopher", "Andrew",
    "Joshua", "Tyler", "Brandon", "Kevin", "Jason", "Mary", "Jennifer", "Linda", "Sarah", "Jessica",
    "Emily", "Ashley", "Amanda", "Megan", "Rachel", "Lauren", "Nicole", "Olivia", "Sofia", "Maria",
    "Chloe",
)
US_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
    "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen",
    "King", "Wright",
)
IN_CITIES = (
    "Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Pune", "Kolkata", "Ahmedabad",
    "Jaipur", "Lucknow", "Indore", "Kochi", "Chandigarh", "Noida", "Gurugram", "Nagpur",
)
US_CITIES = (
    "San Francisco", "Los Angeles", "New York", "Austin", "Seattle", "Chicago", "Boston", "Denver",
    "Atlanta", "Miami", "Phoenix", "San Jose", "Dallas", "Edison",
)
# Voice agents and the humans behind them; a tenant keeps the same few for every day.
AGENTS = (
    "Priya", "Ananya", "Riya", "Kabir", "Arjun", "Neha", "Aisha", "Rohit", "Sara", "Maya",
    "Dev", "Emma", "Noah", "Olivia", "Liam", "Zara",
)
EMAIL_DOMAINS_IN = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.in", "rediffmail.com",
                    "outlook.com", "hotmail.com")
EMAIL_DOMAINS_US = ("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com",
                    "hotmail.com")


@dataclass(frozen=True)
class Vertical:
    """A tenant's line of business: what the agents sell and what customers need or complain of."""

    key: str  # plans[i] costs prices_inr[i] / prices_usd[i]
    companies: tuple[str, ...]
    product: str
    plans: tuple[str, ...]
    prices_inr: tuple[int, ...]
    prices_usd: tuple[int, ...]
    needs_en: tuple[str, ...]
    needs_hi: tuple[str, ...]
    issues_en: tuple[str, ...]
    issues_hi: tuple[str, ...]
    competitors: tuple[str, ...]


VERTICALS = (
    Vertical(
        "saas", ("LeadFlow CRM", "DialDesk", "SalesSathi"), "CRM software",
        ("starter plan", "growth plan", "annual plan"), (12_000, 24_000, 49_999),
        (49, 99, 499),
        ("track all our leads in one place", "stop losing leads on WhatsApp",
         "get reports for my sales team"),
        ("saare leads ek jagah track karne", "WhatsApp ke leads miss na karne",
         "team ki daily reporting"),
        ("the dashboard is not loading since morning", "leads are not syncing from Facebook ads",
         "I was charged twice this month"),
        ("dashboard subah se load nahi ho raha", "Facebook ke leads sync nahi ho rahe",
         "is mahine do baar paise kat gaye"),
        ("Zoho", "LeadSquared", "HubSpot", "an Excel sheet"),
    ),
    Vertical(
        "edtech", ("SkillPath Academy", "UpLearn", "Gyanodaya Online"), "data science course",
        ("6-month batch", "weekend batch", "annual plan"), (35_000, 60_000, 1_20_000),
        (399, 799, 1499),
        ("switch to a data job", "upskill for a promotion", "prepare my son for placements"),
        ("data field mein job switch karne", "promotion se pehle upskill karne",
         "bete ki placement ki taiyari"),
        ("the recorded classes are not playing", "my certificate has the wrong name",
         "I cannot log in to the app"),
        ("recorded classes play nahi ho rahi", "certificate pe naam galat aaya hai",
         "app mein login nahi ho raha"),
        ("upGrad", "Coursera", "Simplilearn", "a local institute"),
    ),
    Vertical(
        "solar", ("SuryaSetu Solar", "BrightRoof Energy", "GreenGrid Solar"),
        "rooftop solar system", ("3 kW package", "5 kW package", "10 kW package"),
        (1_45_000, 2_30_000, 3_10_000), (9_000, 14_000, 21_000),
        ("cut our electricity bill", "get backup during power cuts", "use the subsidy this year"),
        ("bijli ka bill kam karne", "power cut mein backup rakhne", "subsidy ka fayda lene"),
        ("the inverter shows an error code", "generation has dropped since last week",
         "the subsidy amount has not come yet"),
        ("inverter pe error aa raha hai", "pichle hafte se generation kam ho gaya",
         "subsidy ka paisa abhi tak nahi aaya"),
        ("Tata Power Solar", "a local installer", "Loom Solar"),
    ),
    Vertical(
        "insurance", ("SurakshaCover", "ShieldPlus Insurance", "CareFirst Health"),
        "health insurance plan", ("individual plan", "family floater plan", "senior citizen plan"),
        (14_000, 28_000, 42_000), (180, 420, 900),
        ("cover my parents", "get a family floater for four people",
         "add a top-up over my office cover"),
        ("mummy papa ko cover karne", "chaar logon ka family floater lene",
         "office cover ke upar top-up lene"),
        ("my claim is still pending", "the policy document has not arrived",
         "the premium was auto-debited twice"),
        ("mera claim abhi tak pending hai", "policy document nahi aaya",
         "premium do baar auto-debit ho gaya"),
        ("Star Health", "HDFC Ergo", "a policy from my bank"),
    ),
)


def vertical_for(tenant_seed: int) -> Vertical:
    return VERTICALS[tenant_seed % len(VERTICALS)]
