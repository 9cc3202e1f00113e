"""Line pools for synthetic conversations: (English variants, Hinglish variants) per slot.

Fillers in braces come from the call (see dialogue.fillers). Lines state BANT facts, objections,
questions (ending in "?"), bookings and purchases in the plain words that the analysis looks for.
No line may start with "Word:" because transcripts are parsed back by their "Agent:" labels.
"""

Pool = tuple[tuple[str, ...], tuple[str, ...]]

OPEN_OUT: Pool = (
    (
        "Hi, am I speaking with {first}? This is {agent} from {company}.",
        "Hello {first}, {agent} here from {company}. Is this a good time to talk?",
        "Good {part}, this is {agent} calling from {company} about your enquiry on our {product}.",
        "Hi {first}, this is {agent} from {company}. You filled a form for our {product}, right?",
    ),
    (
        "Namaste {first} ji, main {agent}, {company} se. Aapne {product} ke liye enquiry ki thi?",
        "Hello {first} ji, {agent} this side from {company}. Do minute baat kar sakte hain?",
        "Hi {first} ji, {company} se {agent} baat kar rahe hain. {product} ke baare mein call kiya.",
    ),
)
ACK: Pool = (
    (
        "Yes, speaking. Tell me.",
        "Yeah, I have a couple of minutes.",
        "Sure, go ahead.",
        "Yes, what is it about?",
        "Okay, tell me quickly.",
    ),
    (
        "Haan ji, boliye.",
        "Haan, bolo, kya baat hai?",
        "Ji, boliye.",
        "Haan ji, do minute hai, batao.",
    ),
)
OPEN_IN: Pool = (
    (
        "Thank you for calling {company}, this is {agent}. How can I help you today?",
        "Hello, {company}, {agent} speaking. How may I help you?",
    ),
    ("Namaste, {company} mein aapka swagat hai, main {agent}. Bataiye, kya help kar sakte hain?",),
)
ASK_IN: Pool = (
    (
        "Hi, I saw your ad for the {product} and wanted to know more.",
        "Hello, I'm calling about the {product}. What plans do you have?",
        "My friend uses your {product}, he told me to call you.",
    ),
    (
        "Haan ji, maine aapka ad dekha tha {product} ka, details chahiye thi.",
        "{product} ke plans ke baare mein jaanna tha.",
    ),
)
NEED_Q: Pool = (
    (
        "What made you look at a {product}?",
        "What are you hoping to solve with this?",
        "Can you tell me a bit about what you need?",
    ),
    ("Aapko {product} kis liye chahiye?", "Abhi kya use kar rahe ho, aur problem kya aa rahi hai?"),
)
NEED_A: Pool = (
    (
        "We want to {need}.",
        "Honestly we need to {need}, that's the main thing.",
        "Mainly to {need}. We have been struggling with it.",
    ),
    ("Humein {need_hi} ke liye chahiye.", "Basically {need_hi} ke liye dekh rahe hain."),
)
BUDGET_Q: Pool = (
    (
        "What budget do you have in mind?",
        "Do you have a budget range for this?",
        "Roughly how much were you planning to spend?",
    ),
    ("Aapka budget kitna hai roughly?", "Budget kya socha hai aapne?"),
)
BUDGET_A: Pool = (
    (
        "Around {budget}.",
        "We can spend about {budget}, not more than that.",
        "Budget is roughly {budget} for this.",
        "Maybe {budget}, depends on what we get.",
    ),
    (
        "Haan ji, budget around {budget_hi} hai.",
        "{budget_hi} tak kar sakte hain, usse zyada nahi.",
        "Dekho, {budget_hi} ke aas paas socha hai.",
    ),
)
AUTH_Q: Pool = (
    (
        "Are you the one who takes the final decision on this?",
        "Will anyone else be involved in the decision?",
    ),
    ("Decision aap hi lenge ya kisi aur se poochna hoga?",),
)
AUTH_YES: Pool = (
    (
        "Yes, I'm the owner, I decide.",
        "It's my call, I run the business.",
        "Yes, I'll decide, no one else is involved.",
    ),
    ("Haan, main hi owner hoon, decision mera hai.", "Decision mera hi hai, aap batao."),
)
AUTH_NO: Pool = (
    (
        "I need to ask my manager first.",
        "My partner handles the money, I'll have to check.",
        "I'm not the decision maker, my boss is.",
    ),
    ("Mujhe apne manager se poochna padega.", "Ghar pe discuss karna padega, papa decide karenge."),
)
TIME_Q: Pool = (
    ("When are you planning to get started?", "How soon do you need this?"),
    ("Kab tak start karna chahenge?", "Kitne time mein chahiye aapko?"),
)
TIME_A: Pool = (
    (
        "Next week ideally.",
        "Within this month, if possible.",
        "Maybe next quarter, there's no rush.",
        "As soon as possible, honestly.",
    ),
    (
        "Agle hafte tak ho jaye toh accha hai.",
        "Is mahine ke end tak.",
        "Abhi jaldi nahi hai, do teen mahine mein.",
    ),
)
PITCH: Pool = (
    (
        "Our {plan} is {price} and it covers everything you mentioned.",
        "So the {plan} comes to {price}, and this month we have {discount} percent off.",
        "Based on what you said, I'd suggest the {plan}. It's {price}, and setup is free.",
    ),
    (
        "Aapke liye {plan} best rahega, {price_hi} ka hai, sab kuch cover ho jayega.",
        "Humara {plan} {price_hi} mein aata hai, aur is mahine {discount} percent discount bhi hai.",
    ),
)
CUST_Q: Pool = (
    (
        "Is there any setup fee?",
        "Can I cancel anytime?",
        "Do you offer {emi}?",
        "How long does it take to get started?",
    ),
    (
        "EMI ka option hai kya?",
        "Koi hidden charges toh nahi hain na?",
        "Kitne din mein start ho jayega?",
    ),
)
AGENT_A: Pool = (
    (
        "No hidden charges, and {emi} are available on all major cards.",
        "You can cancel anytime, no questions asked.",
        "We can get you started within two days.",
    ),
    (
        "Nahi ji, koi hidden charges nahi hain, EMI bhi available hai.",
        "Do din mein sab setup ho jayega.",
    ),
)
DEMO_ASK: Pool = (
    ("Sounds good. Can I see a demo first?", "Interesting. Can someone walk me through it?"),
    ("Accha hai, ek demo dikha sakte ho?", "Theek hai, pehle demo dekhna hai."),
)
SLOT_OFFER: Pool = (
    (
        "Sure, does {slot_day} at {slot_time} work for you?",
        "Of course, I can book a demo with our expert. Would {slot_day} at {slot_time} be okay?",
    ),
    ("Bilkul, {slot_day} {slot_time} demo rakh dein?",),
)
SLOT_ACCEPT: Pool = (
    (
        "{slot_day} at {slot_time} works, book it.",
        "Yes, {slot_day} {slot_time} is fine. Please send the invite.",
    ),
    (
        "Haan, {slot_day} {slot_time} theek hai, book kar do.",
        "Done, {slot_day} {slot_time} rakh lo.",
    ),
)
SLOT_CONFIRM: Pool = (
    (
        "Done, the meeting is booked for {slot_day} at {slot_time}. "
        "You'll get an invite on {chat} and email.",
    ),
    ("Ho gaya, {slot_day} {slot_time} ka slot book hai, WhatsApp pe invite aa jayega.",),
)
PRICE_OBJ: Pool = (
    (
        "That's too expensive for us.",
        "{price}? That's way above our budget.",
        "Honestly {competitor} quoted us much less.",
        "I don't think it's worth that much.",
    ),
    (
        "Bahut mehenga hai yaar, thoda kam karo.",
        "Itna budget nahi hai abhi.",
        "{competitor} wale isse sasta de rahe the.",
    ),
)
PRICE_HANDLE: Pool = (
    (
        "I understand. We can do {emi}, and I can get you {discount} percent off if you sign up "
        "this week.",
        "Fair point. Unlike {competitor}, setup and support are included in our price.",
    ),
    ("Samajh gaye ji, EMI option hai aur {discount} percent discount bhi de sakte hain.",),
)
PRICE_STALL: Pool = (
    (
        "Still too high. Let me think about it and get back.",
        "Can you do better than {price}?",
        "Send me the details, I'll compare and decide.",
    ),
    (
        "Phir bhi zyada hai, soch ke batayenge.",
        "Details bhej do WhatsApp pe, compare karke batayenge.",
    ),
)
FOLLOW_UP: Pool = (
    ("Sure, I'll send the details on {chat} and follow up on Friday.",),
    ("Theek hai, details bhej dete hain, Friday ko follow up karenge.",),
)
BUSY: Pool = (
    (
        "I'm driving right now, can you call me later?",
        "I'm in a meeting, can you call back in the evening?",
        "Not a good time, call me tomorrow?",
        "Sorry, I have to jump into something now. Can you call me later?",
    ),
    (
        "Abhi busy hoon, kal call karna.",
        "Abhi gaadi chala rahe hain, baad mein call karo.",
        "Meeting mein hoon, shaam ko call karna.",
    ),
)
WHEN_Q: Pool = (
    ("No problem, what time works best for you?",),
    ("Koi baat nahi, kis time call karein?",),
)
WHEN_A: Pool = (
    ("Tomorrow around {slot_time}.", "{slot_day} after {slot_time} is better."),
    ("Kal {slot_time} ke baad karo.", "{slot_day} {slot_time} ke aas paas."),
)
CALLBACK_OK: Pool = (
    ("Sure, I'll call you {slot_day} at {slot_time}. Thanks!",),
    ("Theek hai, {slot_day} {slot_time} call karte hain. Thank you!",),
)
REFUSE: Pool = (
    (
        "Not interested, please don't call again.",
        "We're already using {competitor} and we're happy with it.",
        "I don't have time for this, sorry.",
        "I don't trust these phone offers, to be honest.",
        "I filled that form by mistake, not interested.",
    ),
    (
        "Mujhe interest nahi hai, please dobara call mat karna.",
        "Humare paas already {competitor} hai.",
        "Time nahi hai mere paas iske liye.",
    ),
)
WHY_Q: Pool = (
    (
        "Understood. May I ask what the main reason is?",
        "No problem. Is it the price or the timing?",
    ),
    ("Koi baat nahi, bas reason jaan sakte hain?",),
)
WHY_A: Pool = (
    (
        "We just don't need it right now.",
        "Too expensive, and I'm not the decision maker anyway.",
        "We signed with {competitor} last month.",
    ),
    ("Abhi zarurat nahi hai.", "Paisa bhi zyada hai aur decision mera nahi hai."),
)
DROP: Pool = (
    ("Thanks for your time, I'll update our records. Have a good day.",),
    ("Theek hai, aapka time dene ke liye dhanyavaad.",),
)
BUY: Pool = (
    (
        "Okay, I'll take the {plan}. Send the payment link.",
        "Great, let's go with the {plan}. How do I pay?",
    ),
    (
        "Theek hai, {plan} le lete hain, payment link bhej do.",
        "Done, {plan} final karo, link bhejo.",
    ),
)
LINK_SENT: Pool = (
    ("Wonderful! I've sent the payment link to your {chat} and email.",),
    ("Badhiya! Payment link WhatsApp pe bhej diya hai.",),
)
PAID: Pool = (
    ("Got it, paid just now.", "Received, I'll pay in ten minutes."),
    ("Aa gaya, payment kar diya.", "Mil gaya link, abhi karte hain."),
)
WELCOME: Pool = (
    ("Payment received, welcome aboard! Our onboarding team will call you tomorrow.",),
    ("Payment mil gaya, welcome! Kal onboarding team call karegi.",),
)
SUPPORT_OUT: Pool = (
    ("Hi {first}, {agent} from {company} support. You raised a complaint, what's going on?",),
    (
        "Namaste {first} ji, {company} support se {agent}. Aapki complaint aayi thi, "
        "kya problem hai?",
    ),
)
ISSUE: Pool = (
    ("Hi, {issue}.", "I have a problem, {issue}.", "This is the third time I'm calling, {issue}."),
    ("Haan ji, {issue_hi}.", "Bahut problem ho rahi hai, {issue_hi}."),
)
TICKET_Q: Pool = (
    ("I'm sorry about that. Can you share your registered email or ticket number?",),
    ("Sorry ji, aap apna registered number ya ticket number bata sakte hain?",),
)
TICKET_A: Pool = (
    ("The ticket number is {ticket}.", "It's {ticket}, I got it last week."),
    ("Ticket number {ticket} hai.",),
)
ESCALATE: Pool = (
    (
        "Thanks, I can see the issue. I'm escalating it to our tech team and it should be fixed "
        "within {hours} hours.",
    ),
    ("Mil gaya, tech team ko escalate kar diya hai, {hours} ghante mein fix ho jayega.",),
)
FRUSTRATED: Pool = (
    ("Please make it quick, this is really frustrating.", "Okay, will I get an update by SMS?"),
    ("Jaldi karna please, bahut pareshaan hain.", "Theek hai, update SMS pe aayega na?"),
)
REASSURE: Pool = (
    ("Yes, you'll get an SMS as soon as it's resolved. Anything else I can help with?",),
    ("Ji, resolve hote hi SMS aa jayega. Aur kuch help chahiye?",),
)
WHO: Pool = (
    (
        "Sorry, who? I think you have the wrong number.",
        "Who is {first}? There's no one by that name here.",
    ),
    ("Kaun {first}? Galat number hai.", "Yahan koi {first} nahi hai bhai."),
)
IS_IT: Pool = (
    (
        "Oh, is this not {first}'s number?",
        "Sorry, this number was given in an enquiry for {product}.",
    ),
    ("Accha? Yeh number {first} ji ne diya tha enquiry mein.",),
)
NOT_IT: Pool = (
    ("No, you have the wrong number.", "Never heard of it. Wrong number, please remove it."),
    ("Nahi, galat number hai, please hata do.",),
)
SORRY: Pool = (
    ("Apologies for the trouble, I'll remove it. Have a good day.",),
    ("Sorry for the disturbance, number hata dete hain.",),
)
CLOSE_AGENT: Pool = (
    ("Thank you for your time, {first}. Have a great day!", "Thanks {first}, talk soon."),
    ("Dhanyavaad {first} ji, aapka din shubh ho.", "Thank you {first} ji!"),
)
CLOSE_CUST: Pool = (
    ("Thanks, bye.", "Okay, bye.", "You too, bye."),
    ("Theek hai, bye.", "Chalo, thank you."),
)
VM_SHORT: Pool = (("Hello?", "Hello? Hello?", "Hi, hello?"), ("Hello?", "Hello ji?"))
VM_MESSAGE: Pool = (
    (
        "Hi {first}, this is {agent} from {company} about your {product} enquiry. "
        "Please call us back on this number. Thanks!",
        "Hello {first}, {agent} from {company} here. I'll try you again tomorrow, or call us back.",
    ),
    (
        "Namaste {first} ji, {company} se {agent}. Aapki {product} enquiry ke liye call kiya tha, "
        "please call back kijiye.",
    ),
)
