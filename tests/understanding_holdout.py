"""Held-out evaluation set for the understanding stage: the same label conventions as
understanding_cases.py (see its docstring for registers and how relative dates resolve from
TODAY, a Wednesday), with wording of its own, kept apart from understanding_cases.py and
from the understander's examples.toml, so that a score on it says how well understanding
carries over to callers it was not tuned on.

Callers here are of every sort: elderly guests, business travellers, parents, people in a
hurry, people who tell a story first, speakers of English as a second language, British and
American phrasing, and the slips speech-to-text makes.
"""

from understanding_cases import TODAY, Case  # noqa: F401

from appliance.understanding.commands import Context

# --- contexts: the question the agent has just asked (worded apart from CASES) ------------

WHEN_ARRIVING = Context(
    expecting="check_in", in_booking=True, last_reply="Which day will you be arriving?"
)
HOW_LONG = Context(
    expecting="nights", in_booking=True, last_reply="And how many nights would you like to stay?"
)
HOW_MANY = Context(
    expecting="guests", in_booking=True, last_reply="How many people will be staying in the room?"
)
WHICH_ROOM = Context(
    expecting="room_type",
    in_booking=True,
    last_reply="For those dates I can offer a standard queen room at 149 dollars a night, a deluxe king "
    "room at 199 dollars a night, or a family suite at 289 dollars a night. Which one would you prefer?",
)
WHAT_NAME = Context(
    expecting="name", in_booking=True, last_reply="Under what name should I put the booking?"
)
WHAT_PHONE = Context(
    expecting="phone",
    in_booking=True,
    last_reply="And a phone number where we can reach you, please?",
)
WHAT_CODE = Context(
    expecting="code",
    last_reply="Sure. Could you read me your confirmation code, one letter or number at a time?",
)
READ_BACK = Context(
    pending="book",
    in_booking=True,
    last_reply="So that's a standard queen room for 1 guest, arriving Monday, December 14th, for 3 nights, "
    "447 dollars in total, under the name Tom Reed. Would you like me to book it?",
)
READ_BACK_CHANGE = Context(
    pending="rebook",
    in_booking=True,
    last_reply="I can move your reservation to a family suite for 4 guests, arriving Tuesday, December 22nd, "
    "for 2 nights, 578 dollars in total. Shall I make that change?",
)
READ_BACK_CANCEL = Context(
    pending="cancel",
    last_reply="I found reservation B, 8, L, 4, W, 2 for Tom Reed, arriving December 14th. Do you want me to cancel it?",
)
CALLBACK_OFFER = Context(
    pending="callback",
    last_reply="I'm afraid maintenance can't take the call just now. Shall I ask them to ring you back?",
)
BOOKING_OFFER = Context(
    pending="book_offer",
    last_reply="The breakfast buffet is included with every room. Would you like to book a stay with us?",
)
WHAT_ELSE = Context(
    expecting="anything_else", last_reply="Is there anything more I can do for you today?"
)
WHEN_TO_CALL = Context(
    expecting="callback_time", last_reply="Certainly. What time suits you for a call back?"
)
WHAT_TO_CHANGE = Context(
    expecting="change",
    pending="book",
    in_booking=True,
    last_reply="Of course. Which part would you like to change?",
)
WHICH_DEPARTMENT = Context(
    expecting="department",
    last_reply="Shall I connect you with the front desk, housekeeping, maintenance or the duty manager?",
)

HOLDOUT: list[Case] = [
    # ===================================================================================
    # Questions about the hotel
    # ===================================================================================
    # --- check-in ----------------------------------------------------------------------
    Case("From which hour is it possible to receive the room?", ("ask:check_in",)),
    Case("er, check-in, what, what time does that, er, kick off", ("ask:check_in",), register="disfluent"),
    # --- early check-in ----------------------------------------------------------------
    Case(
        "We're on the overnight coach and get in at seven in the morning. Would the room be available that early?",
        ("ask:early_check_in",),
    ),
    Case("is there a charge if we turn up at midday and want the room before the normal time", ("ask:early_check_in",), register="whisper"),
    Case("early arrival, doable?", ("ask:early_check_in",), register="terse"),
    # --- check-out ---------------------------------------------------------------------
    Case("whats your cheque out time", ("ask:check_out",), register="whisper"),
    Case("Departure from the rooms, is that ten or eleven o'clock?", ("ask:check_out",)),
    Case("by what o'clock have we got to clear out of the room", ("ask:check_out",), register="whisper"),
    # --- late check-out ----------------------------------------------------------------
    Case("Our ferry doesn't leave until four. Would it be possible to stay on in the room past eleven?", ("ask:late_check_out",)),
    Case("is there an option to leave later like 1 o'clock and what does that cost", ("ask:late_check_out",), register="whisper"),
    Case(
        "so my mother is ninety-one and she's quite slow getting going in the mornings, and I really don't "
        "want to rush her on the last day, is there some way we could have the room for an extra couple of "
        "hours after the usual time",
        ("ask:late_check_out",), register="rambling",
    ),
    # --- breakfast ---------------------------------------------------------------------
    Case("Does the room rate come with breakfast, or is that on top?", ("ask:breakfast",)),
    Case("what time they stop to serve the breakfast", ("ask:breakfast",), register="whisper"),
    Case("and the, er, the morning meal, when's, when's that on", ("ask:breakfast",), register="disfluent"),
    # --- restaurant --------------------------------------------------------------------
    Case("Is there somewhere in the hotel to have an evening meal?", ("ask:restaurant",)),
    Case("how late does the lighthouse grill serve food", ("ask:restaurant",), register="whisper"),
    Case(
        "it's our anniversary on friday and I'd love to take my wife out for a nice dinner without having to "
        "drive anywhere afterwards, is the restaurant upstairs any good and is it usually busy",
        ("ask:restaurant",), register="rambling",
    ),
    # --- parking -----------------------------------------------------------------------
    Case("Is there a car park at the hotel, and do you charge for it?", ("ask:parking",)),
    Case("we're coming up in a camper van will there be somewhere to park it", ("ask:parking",), register="whisper"),
    # --- wifi --------------------------------------------------------------------------
    Case("I can't see your internet on my laptop, what name does it go by?", ("ask:wifi",)),
    Case("is there why fi in the bedrooms", ("ask:wifi",), register="whisper"),
    Case("um, the, the internet code, where do I, where is it", ("ask:wifi",), register="disfluent"),
    # --- pool --------------------------------------------------------------------------
    Case("Have you got a swimming pool, and is it heated?", ("ask:pool",)),
    Case("till what time can the children use the pool", ("ask:pool",), register="whisper"),
    Case("pool open now?", ("ask:pool",), register="terse"),
    # --- gym ---------------------------------------------------------------------------
    Case("Is there somewhere I can do a workout first thing, like five a.m.?", ("ask:gym",)),
    Case("do you have a treadmill or a weights room", ("ask:gym",), register="whisper"),
    Case("fitness room?", ("ask:gym",), register="terse"),
    # --- spa ---------------------------------------------------------------------------
    Case("My wife would love a facial while we're there. Do you do beauty treatments?", ("ask:spa",)),
    Case("whats the spa opening times", ("ask:spa",), register="whisper"),
    # --- pets --------------------------------------------------------------------------
    Case("We travel with a little Yorkshire terrier. Is that a problem?", ("ask:pets",)),
    Case("my dog is seventy pounds is he too big to stay", ("ask:pets",), register="whisper"),
    # --- cancellation policy -----------------------------------------------------------
    Case("If we have to pull out a few days before, do we get our money back?", ("ask:cancellation",)),
    Case("how many hours before arrival can you cancel without getting charged", ("ask:cancellation",), register="whisper"),
    Case("refund policy?", ("ask:cancellation",), register="terse"),
    # --- smoking -----------------------------------------------------------------------
    Case("Are e-cigarettes allowed in the bedrooms?", ("ask:smoking",)),
    Case("my husband smokes is there a room where hes allowed to", ("ask:smoking",), register="whisper"),
    # --- accessibility -----------------------------------------------------------------
    Case("My mother can't manage steps and uses a walker. Would your rooms suit her?", ("ask:accessibility",)),
    Case("are there rooms set up for someone in a wheel chair", ("ask:accessibility",), register="whisper"),
    Case("Do you have grab rails in the bathroom for disabled guests?", ("ask:accessibility",)),
    # --- address -----------------------------------------------------------------------
    Case("What's the postcode, I mean the zip code, for my sat nav?", ("ask:address",)),
    Case("whereabouts in portland are you exactly", ("ask:address",), register="whisper"),
    Case("how do i find the hotel from the ferry terminal", ("ask:address",), register="whisper"),
    # --- the hotel's phone number ------------------------------------------------------
    Case("If I need to ring the hotel directly later on, which number should I use?", ("ask:phone",)),
    Case("can you give me the hotels landline", ("ask:phone",), register="whisper"),
    # --- rooms in general --------------------------------------------------------------
    Case("What is the price for one night, more or less, in your rooms?", ("ask:rooms",)),
    Case("what sort of rooms have you got and how much are they", ("ask:rooms",), register="whisper"),
    Case(
        "I'm ringing round a few places for my daughter's graduation and I'm just trying to get an idea, "
        "could you run me through what the rooms are like and what you charge",
        ("ask:rooms",), register="rambling",
    ),
    # --- one room type -----------------------------------------------------------------
    Case("What's the view like from the queen rooms?", ("ask:room:standard_queen",)),
    Case("how much for the standard queen per night", ("ask:room:standard_queen",), register="whisper"),
    Case("Would a standard queen be big enough for me and my two kids?", ("ask:room:standard_queen",)),
    Case("what does the king room go for per night", ("ask:room:deluxe_king",), register="whisper"),
    Case("Is the bed in the deluxe a proper king size?", ("ask:room:deluxe_king",)),
    Case("the deluxe king, uh, how many, how many people is that for", ("ask:room:deluxe_king",), register="disfluent"),
    Case("Does the family suite have a sofa bed for the little one?", ("ask:room:family_suite",)),
    Case("whats the price of the family sweet", ("ask:room:family_suite",), register="whisper"),
    Case("suite, sleeps how many?", ("ask:room:family_suite",), register="terse"),
    # --- FAQ: shuttle, luggage, laundry ------------------------------------------------
    Case("Is there a bus from the hotel out to the airport in the morning?", ("ask:faq:shuttle",)),
    Case("does the hotel do airport transfers", ("ask:faq:shuttle",), register="whisper"),
    Case("what time does the last shuttle go to the airport at night", ("ask:faq:shuttle",), register="whisper"),
    Case("Can we leave the rucksacks with you after checkout? Our coach isn't till the evening.", ("ask:faq:luggage",)),
    Case("do you keep bags for guests who arrive before check in", ("ask:faq:luggage",), register="whisper"),
    Case("left luggage?", ("ask:faq:luggage",), register="terse"),
    Case("i need a suit pressed for a meeting tomorrow morning can you do that", ("ask:faq:laundry",), register="whisper"),
    Case("How much is the laundry, and when do I get my things back?", ("ask:faq:laundry",)),
    Case("Is there a washing service for guests' clothes?", ("ask:faq:laundry",)),
    # --- two questions at once ---------------------------------------------------------
    Case("whats the wifi code and wheres the gym", ("ask:wifi", "ask:gym"), register="whisper"),
    Case("Do you take dogs, and is there a garage for the car?", ("ask:pets", "ask:parking")),
    Case("Is breakfast included, and what time do you serve it?", ("ask:breakfast",)),
    # ===================================================================================
    # New reservations, with the details said in the same breath
    # ===================================================================================
    Case("hiya could i get a room on the sixteenth for two nights me and me partner", ("book", "slots:check_in=2026-12-16,guests=2,nights=2"), register="whisper"),
    Case(
        "I'd like to reserve the family suite from January 2nd to January 5th for five people.",
        ("book", "slots:check_in=2027-01-02,check_out=2027-01-05,guests=5,room_type=family_suite"),
    ),
    Case("do you have a queen available on the 7th of december", ("book", "slots:check_in=2026-12-07,room_type=standard_queen"), register="whisper"),
    Case(
        "I need a king room for one, checking in Monday the 7th and out Thursday the 10th.",
        ("book", "slots:check_in=2026-12-07,check_out=2026-12-10,guests=1,room_type=deluxe_king"),
    ),
    Case("we would like make reservation for 2 persons 4 nights from 21 december", ("book", "slots:check_in=2026-12-21,guests=2,nights=4"), register="whisper"),
    Case("any rooms going tomorrow?", ("book", "slots:check_in=2026-12-03"), register="terse"),
    Case(
        "um hi, we'd, we'd like the, the suite over new year, arriving the thirtieth, for, er, three nights",
        ("book", "slots:check_in=2026-12-30,nights=3,room_type=family_suite"), register="disfluent",
    ),
    Case(
        "so it's the school holidays in february and we're bringing the kids up to see their grandparents, "
        "there's me, my husband and our three boys, and we'd want to arrive on the fifteenth of february and "
        "head home on the nineteenth, have you got anything for us",
        ("book", "slots:check_in=2027-02-15,check_out=2027-02-19,guests=5"), register="rambling",
    ),
    Case(
        "Can I book two nights starting this Saturday, under the name Priya Natarajan?",
        ("book", "slots:check_in=2026-12-05,name=Priya Natarajan,nights=2"),
    ),
    Case(
        "I want the deluxe king with the harbour view for the 14th of March, just one night. It's a birthday surprise.",
        ("book", "slots:check_in=2027-03-14,nights=1,room_type=deluxe_king"),
    ),
    Case(
        "could you book me in for five nights from the eighth my cell is 503 555 0147",
        ("book", "slots:check_in=2026-12-08,nights=5,phone=+15035550147"), register="whisper",
    ),
    Case("room for too nights from january 19", ("book", "slots:check_in=2027-01-19,nights=2"), register="whisper"),
    Case(
        "Hello, I'm calling from Becker Consulting. We need a standard queen from the 11th to the 13th, under the name Thomas Becker.",
        ("book", "slots:check_in=2026-12-11,check_out=2026-12-13,name=Thomas Becker,room_type=standard_queen"),
    ),
    Case("book fri to sun two people", ("book", "slots:check_in=2026-12-04,check_out=2026-12-06,guests=2"), register="terse"),
    Case(
        "Have you got availability over Christmas? We'd arrive on Christmas Eve and stay four nights, two adults and a teenager.",
        ("book", "slots:check_in=2026-12-24,guests=3,nights=4"),
    ),
    Case("um, yeah, I'd like to book, er, a room for, for one person, the, the 3rd of january", ("book", "slots:check_in=2027-01-03,guests=1"), register="disfluent"),
    Case("can we get the family suite for saturday we're a family of four", ("book", "slots:check_in=2026-12-05,guests=4,room_type=family_suite"), register="whisper"),
    Case(
        "I'd like to book two nights from the 9th of January, and is breakfast included?",
        ("book", "slots:check_in=2027-01-09,nights=2", "ask:breakfast"),
    ),
    Case(
        "Book a room for me and my two colleagues from the 14th, three nights. Oh, and is there parking?",
        ("book", "slots:check_in=2026-12-14,guests=3,nights=3", "ask:parking"),
    ),
    Case("do u have rooms for 2 adults march 28 to april 1", ("book", "slots:check_in=2027-03-28,check_out=2027-04-01,guests=2"), register="whisper"),
    Case(
        "Could I book a king for the 31st, one night? The name is Oluwaseun Adeyemi.",
        ("book", "slots:check_in=2026-12-31,name=Oluwaseun Adeyemi,nights=1,room_type=deluxe_king"),
    ),
    Case("looking for a room next friday just the one night for myself", ("book", "slots:check_in=2026-12-11,guests=1,nights=1"), register="whisper"),
    Case(
        "Book me the queen for the 10th, two nights, and just use the mobile I'm ringing from.",
        ("book", "slots:check_in=2026-12-10,nights=2,room_type=standard_queen,use_caller_number=True"),
    ),
    Case("I would like to stay in your hotel, please. Can you arrange a room?", ("book",)),
    # ===================================================================================
    # People and jobs for staff
    # ===================================================================================
    # --- repairs, no department named ----------------------------------------------------
    Case("the radiator in our room is stone cold", ("handoff:maintenance",), register="whisper"),
    Case("The bath won't drain. There's about two inches of water just sitting in it.", ("handoff:maintenance",)),
    Case("The lift is stuck on the third floor and won't move.", ("handoff:maintenance",)),
    Case("um the, the plug sockets by the bed, they don't, none of them work", ("handoff:maintenance",), register="disfluent"),
    Case("the smoke alarm keeps beeping every minute and we cant sleep", ("handoff:maintenance",), register="whisper"),
    Case(
        "hiya, sorry to bother you, we've just got in from a really long drive and the kids want to watch "
        "cartoons but the telly only shows a blue screen whatever button we press on the remote",
        ("handoff:maintenance",), register="rambling",
    ),
    # --- housekeeping jobs, no department named ------------------------------------------
    Case("Could I have a couple of extra blankets? My wife feels the cold.", ("handoff:housekeeping",)),
    Case("Is it possible to get a travel cot put in the room for our little one?", ("handoff:housekeeping",)),
    Case("the bin in the bathroom is overflowing and no ones emptied it", ("handoff:housekeeping",), register="whisper"),
    Case("Could someone come and hoover? The kids spilled crisps all over the carpet.", ("handoff:housekeeping",)),
    Case("er, hi, yeah, the, the beds haven't been changed and, er, we've been here three days now", ("handoff:housekeeping",), register="disfluent"),
    # --- complaints, no department named ---------------------------------------------------
    Case("I've been charged twice for the same night and I want somebody senior to sort it out.", ("handoff:management",)),
    Case("The staff at the desk were very rude to my mother and I wish to lodge a formal complaint.", ("handoff:management",)),
    Case(
        "look this is the third time I've called, the room smelled of smoke when we arrived, we were "
        "promised a move and nothing has happened, I need to speak to someone who can actually make a decision",
        ("handoff:management",), register="rambling",
    ),
    # --- a department or a person asked for ------------------------------------------------
    Case("could you put me through to reception please love", ("handoff:front_desk",), register="whisper"),
    Case("I'd like to speak to a human being, not a machine.", ("handoff:front_desk",)),
    Case("Put me through to the cleaning staff, please.", ("handoff:housekeeping",)),
    # ===================================================================================
    # Existing reservations: look up, cancel, change
    # ===================================================================================
    Case("Hi, I think I have a booking with you for next month. Could you double-check it's there?", ("find",)),
    Case("confirmation code is w 7 k 3 n 9 just wanted to check the dates", ("find:W7K3N9",), register="whisper"),
    Case("Can you look up my reservation? It's delta, 5, foxtrot, 2, lima, 9.", ("find:D5F2L9",)),
    Case("We're not going to make it, my husband's in hospital. Please cancel the room.", ("cancel",)),
    Case("cancel booking number v 6 q 2 r 8", ("cancel:V6Q2R8",), register="whisper"),
    Case("I want to cancel my reservation, the code is N4, P7, K3.", ("cancel:N4P7K3",)),
    Case("Could we push our booking back by a day? We'd be arriving the 21st instead.", ("change", "slots:check_in=2026-12-21")),
    Case("we've got a reservation already but can we make it four nights rather than three", ("change", "slots:nights=4"), register="whisper"),
    Case("Is it possible to upgrade my booking to the deluxe king?", ("change", "slots:room_type=deluxe_king")),
    Case("um, I'd like to, to amend my reservation please", ("change",), register="disfluent"),
    # ===================================================================================
    # Answers to the agent's question
    # ===================================================================================
    # --- arrival date --------------------------------------------------------------------
    Case("Saturday the 12th.", ("slots:check_in=2026-12-12",), WHEN_ARRIVING),
    Case("Monday the 4th of January, for a fortnight.", ("slots:check_in=2027-01-04,nights=14",), WHEN_ARRIVING),
    # --- how many nights -----------------------------------------------------------------
    Case("only the one night love", ("slots:nights=1",), HOW_LONG, "whisper"),
    Case("three and remind me what time check in starts", ("slots:nights=3", "ask:check_in"), HOW_LONG, "whisper"),
    # --- how many guests -----------------------------------------------------------------
    Case("two grown ups and a toddler", ("slots:guests=3",), HOW_MANY, "whisper"),
    Case("wait before i answer can i bring the dog", ("ask:pets",), HOW_MANY, "whisper"),
    # --- room type -----------------------------------------------------------------------
    Case("the 149 one", ("slots:room_type=standard_queen",), WHICH_ROOM, "whisper"),
    Case("is the queen the one facing the city", ("ask:room:standard_queen",), WHICH_ROOM, "whisper"),
    # --- name ----------------------------------------------------------------------------
    Case("put it down as anna kowalski", ("slots:name=Anna Kowalski",), WHAT_NAME, "whisper"),
    # --- phone ---------------------------------------------------------------------------
    Case("nine seven eight, five five five, oh one four six", ("slots:phone=+19785550146",), WHAT_PHONE, "whisper"),
    Case("the one im on now is fine", ("slots:use_caller_number=True",), WHAT_PHONE, "whisper"),
    # --- confirmation code -----------------------------------------------------------------
    Case("kilo 2 lima 8 mike 5", ("find:K2L8M5",), WHAT_CODE, "whisper"),
    # --- yes/no to a read-back -------------------------------------------------------------
    Case("yeah lovely go on then", ("affirm",), READ_BACK, "whisper"),
    Case("no no hold on", ("deny",), READ_BACK, "whisper"),
    Case("Could we move the arrival to the 19th?", ("slots:check_in=2026-12-19",), READ_BACK),
    Case("Yes, that's fine, change it.", ("affirm",), READ_BACK_CHANGE),
    Case("Actually no, leave it as it is.", ("deny",), READ_BACK_CANCEL),
    # --- other yes/no questions --------------------------------------------------------------
    Case("oh yes that would be lovely", ("affirm",), CALLBACK_OFFER, "whisper"),
    Case("No, I was only asking.", ("deny",), BOOKING_OFFER),
    # --- anything else? when to call back, what to change, which department ----------------
    Case("no that's all cheers bye", ("deny", "goodbye"), WHAT_ELSE, "whisper"),
    Case("just one more, what's the wifi called", ("ask:wifi",), WHAT_ELSE, "whisper"),
    Case("after lunch, about two", ("callback",), WHEN_TO_CALL, "terse"),
    Case("we'd rather have the king if that's alright", ("slots:room_type=deluxe_king",), WHAT_TO_CHANGE, "whisper"),
    Case("Someone who can fix the shower.", ("handoff:maintenance",), WHICH_DEPARTMENT),
    # ===================================================================================
    # Callbacks
    # ===================================================================================
    Case("I'm just boarding a plane. Could somebody ring me back tonight?", ("callback",)),
    Case("please ring me back on this number later today", ("callback",), register="whisper"),
    Case("er, could, could you get someone to, to call me back, I'm in a meeting", ("callback",), register="disfluent"),
    Case("Rather than hold, can someone return my call?", ("callback",)),
    Case("callback tomorrow pls", ("callback",), register="terse"),
    # ===================================================================================
    # Repeat, goodbye, thanks, greeting
    # ===================================================================================
    Case("sorry youre cutting out could you say that once more", ("repeat",), register="whisper"),
    Case("right cheers then ta-ra", ("goodbye",), register="whisper"),
    Case("Brilliant, ta very much.", ("thanks",)),
    Case("good afternoon is that the harbor view hotel", ("greeting",), register="whisper"),
    # ===================================================================================
    # Questions the hotel's data cannot answer, and nothing to act on
    # ===================================================================================
    Case("Is there a rooftop bar where we can get cocktails?", ("unclear",)),
    Case("Do you rent out electric cars to guests?", ("unclear",)),
    Case("do you offer babysitting", ("unclear",), register="whisper"),
    Case("Is there a cash machine in the lobby?", ("unclear",)),
    Case("Do you have a meeting room I could hire for a morning?", ("unclear",)),
    Case("can we hire kayaks from the hotel", ("unclear",), register="whisper"),
    Case("Do you have a games room or an arcade for the kids?", ("unclear",)),
]  # fmt: skip
