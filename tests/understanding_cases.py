"""Evaluation set for the understanding stage: a caller's turn as speech-to-text writes it,
the conversation context the flows pass, and the command labels (``commands.label``) it
must produce, as a set.

Registers: ``plain`` tidy sentences; ``terse`` a word or two; ``rambling`` long, with the
request buried in it; ``disfluent`` fillers, restarts, repeated words; ``whisper`` the
slips speech-to-text makes (lower case, no punctuation, digits as words or numbers,
homophones such as "Kek out" for "check out" or "tonight's" for "two nights", run-ons).

Relative dates in the labels are resolved from TODAY, a Wednesday: a month and day with
no year is the next such date on or after TODAY; "Friday" and "this Friday" are
2026-12-04, "next Friday" 2026-12-11; "this weekend" is check_in 2026-12-05 for 2 nights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from appliance.understanding.commands import Context

TODAY = date(2026, 12, 2)  # a Wednesday; relative dates in labels are resolved from it


@dataclass(frozen=True)
class Case:
    text: str  # what speech-to-text wrote for the caller's turn
    expect: tuple[str, ...]  # the expected command labels, as commands.label() writes them
    context: Context = Context()
    register: str = "plain"  # plain | terse | rambling | disfluent | whisper


REGISTERS = ("plain", "terse", "rambling", "disfluent", "whisper")

# --- contexts: the question the agent has just asked --------------------------------------

ASK_CHECK_IN = Context(
    expecting="check_in", in_booking=True, last_reply="What date would you like to arrive?"
)
ASK_NIGHTS = Context(
    expecting="nights", in_booking=True, last_reply="How many nights will you stay?"
)
ASK_GUESTS = Context(
    expecting="guests", in_booking=True, last_reply="How many guests will there be?"
)
ASK_ROOM = Context(
    expecting="room_type",
    in_booking=True,
    last_reply="We have a standard queen room at 149 dollars a night, a deluxe king room at 199 dollars a night, "
    "or a family suite at 289 dollars a night from December 20th to December 22nd. Which would you like?",
)
ASK_NAME = Context(
    expecting="name", in_booking=True, last_reply="May I have your name for the reservation?"
)
ASK_PHONE = Context(
    expecting="phone",
    in_booking=True,
    last_reply="What phone number should we use for the reservation?",
)
ASK_CODE = Context(
    expecting="code",
    last_reply="Of course. What is your confirmation code? Please read it one character at a time.",
)
CONFIRM_BOOK = Context(
    pending="book",
    in_booking=True,
    last_reply="Let me confirm: a deluxe king room for 2 guests, arriving Sunday, December 20th, for 2 nights, "
    "398 dollars in total, under the name Ana Silva. Shall I book it?",
)
CONFIRM_REBOOK = Context(
    pending="rebook",
    in_booking=True,
    last_reply="I can change your reservation to a deluxe king room for 2 guests, arriving Sunday, December 20th, "
    "for 3 nights, 597 dollars in total. Shall I do that?",
)
CONFIRM_CANCEL = Context(
    pending="cancel",
    last_reply="Reservation K, 7, M, 2, Q, X for Ana Silva, arriving December 20th. Shall I cancel it?",
)
OFFER_CALLBACK = Context(
    pending="callback",
    last_reply="I'm sorry, I can't put you through to housekeeping right now. Would you like housekeeping to call you back?",
)
OFFER_BOOKING = Context(
    pending="book_offer",
    last_reply="We have a standard queen room at 149 dollars a night, a deluxe king room at 199 dollars a night, "
    "and a family suite at 289 dollars a night. Would you like to make a reservation?",
)
OFFER_LOOKUP = Context(
    pending="lookup",
    last_reply="Shall I look up your reservation by the number you are calling from?",
)
ANYTHING_ELSE = Context(
    expecting="anything_else", last_reply="Is there anything else I can help you with?"
)
ASK_CALLBACK_TIME = Context(
    expecting="callback_time", last_reply="Of course. When would be a good time to call you back?"
)
ASK_CHANGE = Context(
    expecting="change",
    pending="book",
    in_booking=True,
    last_reply="No problem. What would you like to change?",
)
ASK_DEPARTMENT = Context(
    expecting="department",
    last_reply="Who would you like to speak to: the front desk, housekeeping, maintenance or the duty manager?",
)

CASES: list[Case] = [
    # ===================================================================================
    # Questions about the hotel
    # ===================================================================================
    # --- check-out ---------------------------------------------------------------------
    Case("checkout?", ("ask:check_out",), register="terse"),
    Case("When do I have to be out of the room?", ("ask:check_out",)),
    Case("What time do we need to leave the room on our last day?", ("ask:check_out",)),
    Case("um so uh what time's checkout, like, in the morning", ("ask:check_out",), register="disfluent"),
    Case("what time is kek out", ("ask:check_out",), register="whisper"),
    Case(
        "hi yes so we're heading home on sunday and I just wanted to know how long we get in the morning "
        "before we've got to hand the keys back",
        ("ask:check_out",), register="rambling",
    ),
    Case("check out time please", ("ask:check_out",), register="terse"),
    Case("When's check-out at your place?", ("ask:check_out",)),
    Case("what time do i need to vacate the room", ("ask:check_out",), register="whisper"),
    Case("what time is check out is it 11 a.m. or 12", ("ask:check_out",), register="whisper"),
    # --- check-in ----------------------------------------------------------------------
    Case("What's the earliest I can get into my room?", ("ask:check_in",)),
    Case("what times check in", ("ask:check_in",), register="whisper"),
    Case("When can we check in?", ("ask:check_in",)),
    Case("check-in time?", ("ask:check_in",), register="terse"),
    Case(
        "so we're flying in from chicago and we'll probably get to the hotel sometime in the afternoon, "
        "what time do you start letting people into their rooms",
        ("ask:check_in",), register="rambling",
    ),
    Case("uh what what time is uh check in", ("ask:check_in",), register="disfluent"),
    Case("when will the room be ready on the day we arrive", ("ask:check_in",), register="whisper"),
    Case("What time can I pick up my key on arrival day?", ("ask:check_in",)),
    # --- early check-in ----------------------------------------------------------------
    Case("Can I check in early?", ("ask:early_check_in",)),
    Case("early check in?", ("ask:early_check_in",), register="terse"),
    Case(
        "our flight lands at 8 a.m. is there any way we could get into the room before 3",
        ("ask:early_check_in",), register="whisper",
    ),
    Case("Is it possible to get the room around noon instead of waiting until the afternoon?", ("ask:early_check_in",)),
    Case(
        "um we're, we're getting in really early, like ten, could we maybe check in then",
        ("ask:early_check_in",), register="disfluent",
    ),
    Case("Do you charge anything for an early check-in?", ("ask:early_check_in",)),
    # --- late check-out ----------------------------------------------------------------
    Case("Can we hang around till 1?", ("ask:late_check_out",)),
    Case("late checkout?", ("ask:late_check_out",), register="terse"),
    Case("Is it possible to check out late on Sunday?", ("ask:late_check_out",)),
    Case("How much is it to keep the room until one?", ("ask:late_check_out",)),
    Case(
        "our flight isn't until the evening so I was hoping we could maybe hold on to the room a bit longer "
        "than eleven, is that something you do",
        ("ask:late_check_out",), register="rambling",
    ),
    Case("can i get a late check out till 1 p.m.", ("ask:late_check_out",), register="whisper"),
    Case("uh do you do, um, late check out", ("ask:late_check_out",), register="disfluent"),
    # --- breakfast ---------------------------------------------------------------------
    Case("What time's breakfast?", ("ask:breakfast",)),
    Case("Is breakfast included in the price?", ("ask:breakfast",)),
    Case("breakfast hours?", ("ask:breakfast",), register="terse"),
    Case("um so what time does uh breakfast start", ("ask:breakfast",), register="disfluent"),
    Case("Where do you serve breakfast?", ("ask:breakfast",)),
    Case("Until when can we get breakfast?", ("ask:breakfast",)),
    Case("do i have to pay extra for the breakfast buffet", ("ask:breakfast",), register="whisper"),
    Case("We're early risers. How early can we get something to eat in the morning?", ("ask:breakfast",)),
    Case("whats for breakfast is it a buffet", ("ask:breakfast",), register="whisper"),
    Case(
        "and one other thing my husband always asks about, is breakfast part of the price or is that "
        "something we'd pay for separately when we get there",
        ("ask:breakfast",), register="rambling",
    ),
    # --- restaurant --------------------------------------------------------------------
    Case("Is there a restaurant in the hotel?", ("ask:restaurant",)),
    Case("What time does the restaurant close tonight?", ("ask:restaurant",)),
    Case("Can we get dinner at the hotel?", ("ask:restaurant",)),
    Case("do i need to reserve a table at the lighthouse grill", ("ask:restaurant",), register="whisper"),
    Case("Where's the restaurant, what floor is it on?", ("ask:restaurant",)),
    Case("um is the, uh, the grill open for dinner on saturday", ("ask:restaurant",), register="disfluent"),
    Case("dinner hours?", ("ask:restaurant",), register="terse"),
    # --- parking -----------------------------------------------------------------------
    Case("Where can I leave my car?", ("ask:parking",)),
    Case("Is there parking?", ("ask:parking",)),
    Case("parking?", ("ask:parking",), register="terse"),
    Case("How much do you charge to park overnight?", ("ask:parking",)),
    Case("Do you have chargers for electric cars?", ("ask:parking",)),
    Case(
        "hi yes so we're driving up on friday and I was wondering what the situation is with parking, "
        "is it on the street or do you have your own lot",
        ("ask:parking",), register="rambling",
    ),
    Case("um, is, is parking extra or", ("ask:parking",), register="disfluent"),
    Case("do you guys have a garage", ("ask:parking",), register="whisper"),
    Case("can i park my tesla there and charge it overnight", ("ask:parking",), register="whisper"),
    # --- wifi --------------------------------------------------------------------------
    Case("Is the internet free?", ("ask:wifi",)),
    Case("whats the wifi password", ("ask:wifi",), register="whisper"),
    Case("wi-fi?", ("ask:wifi",), register="terse"),
    Case("How do I get online in my room?", ("ask:wifi",)),
    Case("What's the Wi-Fi network called?", ("ask:wifi",)),
    Case("Do you have wireless internet?", ("ask:wifi",)),
    Case("um, the, uh, the wifi, is it free or do I have to pay", ("ask:wifi",), register="disfluent"),
    Case("whats the password for the wi fi", ("ask:wifi",), register="whisper"),
    Case(
        "I'm working remotely while we're up there so I really need decent internet, do you have Wi-Fi in "
        "the rooms and is it something I have to pay for",
        ("ask:wifi",), register="rambling",
    ),
    # --- pool --------------------------------------------------------------------------
    Case("Do you have a pool?", ("ask:pool",)),
    Case("What time does the swimming pool open?", ("ask:pool",)),
    Case("pool hours?", ("ask:pool",), register="terse"),
    Case("Is the pool inside or outside?", ("ask:pool",)),
    Case("Can the kids go for a swim in the evening?", ("ask:pool",)),
    Case("is there a pool um for the kids", ("ask:pool",), register="disfluent"),
    # --- gym ---------------------------------------------------------------------------
    Case("Is there a gym?", ("ask:gym",)),
    Case("Do you have a fitness center?", ("ask:gym",)),
    Case("Can I work out late at night?", ("ask:gym",)),
    Case("gym hours", ("ask:gym",), register="terse"),
    Case("is the gym open 24 7", ("ask:gym",), register="whisper"),
    # --- spa ---------------------------------------------------------------------------
    Case("Do you have a spa?", ("ask:spa",)),
    Case("Can I book a massage?", ("ask:spa",)),
    Case("What time does the spa close?", ("ask:spa",)),
    Case("spa?", ("ask:spa",), register="terse"),
    Case("Is there a sauna or a spa or anything like that?", ("ask:spa",)),
    # --- pets --------------------------------------------------------------------------
    Case("Do you allow dogs?", ("ask:pets",)),
    Case("Can I bring my cat?", ("ask:pets",)),
    Case("Are you pet friendly?", ("ask:pets",)),
    Case("pets?", ("ask:pets",), register="terse"),
    Case(
        "We have a golden retriever, she's about 60 pounds, would she be allowed to stay with us?",
        ("ask:pets",),
    ),
    Case("is there a fee for bringing a dog", ("ask:pets",), register="whisper"),
    # --- cancellation policy -----------------------------------------------------------
    Case("What's your cancellation policy?", ("ask:cancellation",)),
    Case("If I cancel, will I be charged?", ("ask:cancellation",)),
    Case("How late can I cancel without paying anything?", ("ask:cancellation",)),
    Case("cancellation policy?", ("ask:cancellation",), register="terse"),
    Case("Is the booking refundable?", ("ask:cancellation",)),
    Case(
        "um if our plans change like, last minute, do we lose the money", ("ask:cancellation",),
        register="disfluent",
    ),
    # --- smoking -----------------------------------------------------------------------
    Case("Can I smoke in my room?", ("ask:smoking",)),
    Case("Do you have smoking rooms?", ("ask:smoking",)),
    Case("Is there anywhere at the hotel where I can smoke?", ("ask:smoking",)),
    Case("smoking rooms?", ("ask:smoking",), register="terse"),
    Case("can i vape on the balcony", ("ask:smoking",), register="whisper"),
    # --- accessibility -----------------------------------------------------------------
    Case("Do you have wheelchair accessible rooms?", ("ask:accessibility",)),
    Case("My dad uses a wheelchair. Will he be able to get around okay?", ("ask:accessibility",)),
    Case("do any rooms have a roll in shower", ("ask:accessibility",), register="whisper"),
    Case("accessible rooms?", ("ask:accessibility",), register="terse"),
    Case("Is the hotel accessible for disabled guests?", ("ask:accessibility",)),
    # --- address -----------------------------------------------------------------------
    Case("Where exactly is the hotel?", ("ask:address",)),
    Case("What's your address?", ("ask:address",)),
    Case("How do I get to you from the highway?", ("ask:address",)),
    Case("What street are you on?", ("ask:address",)),
    Case("address?", ("ask:address",), register="terse"),
    Case("i need directions to the hotel from the bus station", ("ask:address",), register="whisper"),
    Case("What's the address I should put in the GPS?", ("ask:address",)),
    # --- the hotel's phone number ------------------------------------------------------
    Case("What's the hotel's phone number?", ("ask:phone",)),
    Case("What number do I call to reach the hotel directly?", ("ask:phone",)),
    Case("Can I get the hotel's number, so I have it?", ("ask:phone",)),
    Case("phone number?", ("ask:phone",), register="terse"),
    Case("whats your telephone number", ("ask:phone",), register="whisper"),
    # --- rooms in general --------------------------------------------------------------
    Case("What kinds of rooms do you have?", ("ask:rooms",)),
    Case("How much are your rooms?", ("ask:rooms",)),
    Case("What are your rates?", ("ask:rooms",)),
    Case("room prices?", ("ask:rooms",), register="terse"),
    Case("What's the cheapest room you've got?", ("ask:rooms",)),
    Case("We're a big family. Do you have rooms that sleep five?", ("ask:rooms",)),
    Case("um what what sort of rooms, uh, are there", ("ask:rooms",), register="disfluent"),
    Case(
        "so we're still deciding between a couple of places, could you just tell me what room options you "
        "have and roughly what they cost a night",
        ("ask:rooms",), register="rambling",
    ),
    # --- one room type -----------------------------------------------------------------
    Case("How much is the queen room?", ("ask:room:standard_queen",)),
    Case("What's the standard room like?", ("ask:room:standard_queen",)),
    Case("How many people can stay in the queen?", ("ask:room:standard_queen",)),
    Case("What does the standard queen look out on?", ("ask:room:standard_queen",)),
    Case("queen room price?", ("ask:room:standard_queen",), register="terse"),
    Case("how big is the bed in the standard room", ("ask:room:standard_queen",), register="whisper"),
    Case("Does the king room have a view of the harbor?", ("ask:room:deluxe_king",)),
    Case("How much is the deluxe king a night?", ("ask:room:deluxe_king",)),
    Case("What do you get in the deluxe room?", ("ask:room:deluxe_king",)),
    Case("king room rate?", ("ask:room:deluxe_king",), register="terse"),
    Case("Can three people fit in the king room?", ("ask:room:deluxe_king",)),
    Case("um the king, uh, is that the one with the water view", ("ask:room:deluxe_king",), register="disfluent"),
    Case("How much is the family suite per night?", ("ask:room:family_suite",)),
    Case("What beds are in the suite?", ("ask:room:family_suite",)),
    Case("how many can sleep in the family suite", ("ask:room:family_suite",), register="whisper"),
    Case("Does the suite have a separate living room?", ("ask:room:family_suite",)),
    Case("suite price?", ("ask:room:family_suite",), register="terse"),
    Case("Is the family suite big enough for two adults and three kids?", ("ask:room:family_suite",)),
    # --- FAQ: shuttle, luggage, laundry ------------------------------------------------
    Case("Do you have an airport shuttle?", ("ask:faq:shuttle",)),
    Case("Can you pick us up from the airport?", ("ask:faq:shuttle",)),
    Case("How often does the shuttle run?", ("ask:faq:shuttle",)),
    Case("shuttle?", ("ask:faq:shuttle",), register="terse"),
    Case("Is there a free ride to the airport from the hotel?", ("ask:faq:shuttle",)),
    Case("our flight leaves at 7 a.m. whats the first shuttle", ("ask:faq:shuttle",), register="whisper"),
    Case("Can we drop our bags off before check-in?", ("ask:faq:luggage",)),
    Case("Can you hold our suitcases after we check out?", ("ask:faq:luggage",)),
    Case("Do you have luggage storage?", ("ask:faq:luggage",)),
    Case("bag storage?", ("ask:faq:luggage",), register="terse"),
    Case(
        "we arrive at 9 am can we leave our luggage somewhere till the room is ready", ("ask:faq:luggage",),
        register="whisper",
    ),
    Case("Is there somewhere to keep our bags on the last day while we go sightseeing?", ("ask:faq:luggage",)),
    Case("Do you have a laundry service?", ("ask:faq:laundry",)),
    Case("Can I get a shirt dry cleaned?", ("ask:faq:laundry",)),
    Case("Is there an iron in the room?", ("ask:faq:laundry",)),
    Case("laundry?", ("ask:faq:laundry",), register="terse"),
    Case(
        "um if I give you my, my washing in the morning when do I get it back", ("ask:faq:laundry",),
        register="disfluent",
    ),
    Case("can you guys wash clothes for us", ("ask:faq:laundry",), register="whisper"),
    # --- two questions at once ---------------------------------------------------------
    Case("What time is check out, and is there parking?", ("ask:check_out", "ask:parking")),
    Case("what time is breakfast and is the gym open early", ("ask:breakfast", "ask:gym"), register="whisper"),
    Case("Is the wifi free, and do you allow dogs?", ("ask:wifi", "ask:pets")),
    Case("What's your address and do you have parking?", ("ask:address", "ask:parking")),
    Case("do you have a pool and a spa", ("ask:pool", "ask:spa"), register="whisper"),
    Case(
        "hi so two things, what time's check in, and can I leave my bags if I get there early",
        ("ask:check_in", "ask:faq:luggage"), register="rambling",
    ),
    Case("Is the internet free and what's the password?", ("ask:wifi",)),
    Case("hello, is there a pool", ("ask:pool",), register="whisper"),
    Case("Thanks. And is there a gym?", ("ask:gym",)),
    # ===================================================================================
    # New reservations, with the details said in the same breath
    # ===================================================================================
    Case("I'd like to book a room for two nights from December 20th.", ("book", "slots:check_in=2026-12-20,nights=2")),
    Case(
        "hi yes so we're driving up on friday and I was wondering if you've got a room for friday and "
        "saturday night, it's just me and my wife",
        ("book", "slots:check_in=2026-12-04,guests=2,nights=2"), register="rambling",
    ),
    Case("Do you have anything free on the 18th?", ("book", "slots:check_in=2026-12-18")),
    Case("need a king for three nights starting january 15th", ("book", "slots:check_in=2027-01-15,nights=3,room_type=deluxe_king"), register="whisper"),
    Case("can i get a room to nights from march 3rd", ("book", "slots:check_in=2027-03-03,nights=2"), register="whisper"),
    Case(
        "Book the family suite this weekend for two adults and two kids.",
        ("book", "slots:check_in=2026-12-05,guests=4,nights=2,room_type=family_suite"),
    ),
    Case("um I, I need a room for uh one night tomorrow, just me", ("book", "slots:check_in=2026-12-03,guests=1,nights=1"), register="disfluent"),
    Case("Is there availability from the 10th to the 14th of February?", ("book", "slots:check_in=2027-02-10,check_out=2027-02-14")),
    Case("A queen room for a week from the 27th, please.", ("book", "slots:check_in=2026-12-27,nights=7,room_type=standard_queen")),
    Case("Reserve a room for next Friday, two nights, three guests.", ("book", "slots:check_in=2026-12-11,guests=3,nights=2")),
    Case("We'd like to book a room for New Year's Eve.", ("book", "slots:check_in=2026-12-31")),
    Case(
        "Book a deluxe king for me and my husband arriving April 2nd for 4 nights.",
        ("book", "slots:check_in=2027-04-02,guests=2,nights=4,room_type=deluxe_king"),
    ),
    Case("got any rooms tonight", ("book", "slots:check_in=2026-12-02"), register="terse"),
    Case("room for two people friday", ("book", "slots:check_in=2026-12-04,guests=2"), register="terse"),
    Case(
        "hi I'm looking to make a reservation for a couple of nights around the middle of january, say the "
        "14th, for a family of five",
        ("book", "slots:check_in=2027-01-14,guests=5,nights=2"), register="rambling",
    ),
    Case("I want to book the standard room from June 5th to June 8th.", ("book", "slots:check_in=2027-06-05,check_out=2027-06-08,room_type=standard_queen")),
    Case(
        "Can I book a suite for my parents for the 22nd? They're staying three nights.",
        ("book", "slots:check_in=2026-12-22,guests=2,nights=3,room_type=family_suite"),
    ),
    Case("do you have a king room available christmas eve", ("book", "slots:check_in=2026-12-24,room_type=deluxe_king"), register="whisper"),
    Case(
        "i would like to reserve a room for 3 nights starting on the fifth of may for two adults",
        ("book", "slots:check_in=2027-05-05,guests=2,nights=3"), register="whisper",
    ),
    Case("book me a room", ("book",), register="terse"),
    Case("I need a reservation.", ("book",)),
    Case("Are there any rooms available?", ("book",)),
    Case(
        "um so we're, uh, thinking of coming up for a week in july, like the, the 10th, me, my wife and our two kids",
        ("book", "slots:check_in=2027-07-10,guests=4,nights=7"), register="disfluent",
    ),
    Case("Is the family suite free on the 19th for one night?", ("book", "slots:check_in=2026-12-19,nights=1,room_type=family_suite")),
    Case("I'd like a room under the name David Kim from January 3rd for two nights.", ("book", "slots:check_in=2027-01-03,name=David Kim,nights=2")),
    Case(
        "can you book a queen room for 1 guest tonight just the one night",
        ("book", "slots:check_in=2026-12-02,guests=1,nights=1,room_type=standard_queen"), register="whisper",
    ),
    Case(
        "Hello, I'd like to book two nights starting Thursday for my colleague and me.",
        ("book", "slots:check_in=2026-12-03,guests=2,nights=2"),
    ),
    Case(
        "Book a king room from the 15th of February for four nights for two people under Maria Lopez.",
        ("book", "slots:check_in=2027-02-15,guests=2,name=Maria Lopez,nights=4,room_type=deluxe_king"),
    ),
    Case("i'd like to book tonight's from the 9th", ("book", "slots:check_in=2026-12-09,nights=2"), register="whisper"),
    Case(
        "Could I reserve a room for five nights from March 20th? It's for one person, and my number is 617 555 0123.",
        ("book", "slots:check_in=2027-03-20,guests=1,nights=5,phone=+16175550123"),
    ),
    Case(
        "I want to book a room for the 28th for two nights, and you can use the number I'm calling from.",
        ("book", "slots:check_in=2026-12-28,nights=2,use_caller_number=True"),
    ),
    Case("Book a room from the 30th until January 2nd.", ("book", "slots:check_in=2026-12-30,check_out=2027-01-02")),
    Case(
        "hey can i grab a room for saturday, one night, for me and a friend",
        ("book", "slots:check_in=2026-12-05,guests=2,nights=1"), register="whisper",
    ),
    Case(
        "I'd like to make a booking for August 14th, three nights, the deluxe king.",
        ("book", "slots:check_in=2027-08-14,nights=3,room_type=deluxe_king"),
    ),
    Case("reserve standard queen jan 6 2 nights", ("book", "slots:check_in=2027-01-06,nights=2,room_type=standard_queen"), register="terse"),
    Case("Do you have any vacancies next Friday?", ("book", "slots:check_in=2026-12-11")),
    Case(
        "my husband and I and our three kids need a room from october 1st for a week",
        ("book", "slots:check_in=2027-10-01,guests=5,nights=7"), register="whisper",
    ),
    Case(
        "September ninth, two nights, suite, four people", ("book", "slots:check_in=2027-09-09,guests=4,nights=2,room_type=family_suite"),
        register="terse",
    ),
    Case(
        "so my sister's getting married in portland in june and we need somewhere for the wedding weekend, "
        "the wedding's on the saturday, the 19th, so we'd want to come in on the friday, which would be the "
        "18th, and stay two nights, just the two of us",
        ("book", "slots:check_in=2027-06-18,guests=2,nights=2"), register="rambling",
    ),
    Case(
        "uh hi, I wanna, uh, book a room for, um, december twenty third, for, like, three nights",
        ("book", "slots:check_in=2026-12-23,nights=3"), register="disfluent",
    ),
    Case("i wanna reserve a room, also are dogs ok", ("book", "ask:pets"), register="whisper"),
    Case(
        "Book a room for Friday for two people, and is parking available?",
        ("book", "slots:check_in=2026-12-04,guests=2", "ask:parking"),
    ),
    Case("Can I book a room for the 12th?", ("book", "slots:check_in=2026-12-12")),
    Case("Do you have a room for four nights from the fourteenth?", ("book", "slots:check_in=2026-12-14,nights=4")),
    Case(
        "can i book for 2 people a king for to nights january 20th",
        ("book", "slots:check_in=2027-01-20,guests=2,nights=2,room_type=deluxe_king"), register="whisper",
    ),
    Case("we want to stay from feb 1 through feb 5", ("book", "slots:check_in=2027-02-01,check_out=2027-02-05"), register="whisper"),
    Case("Is there a room free this weekend for one person?", ("book", "slots:check_in=2026-12-05,guests=1,nights=2")),
    Case("I want to book a room for a week from tomorrow.", ("book", "slots:check_in=2026-12-03,nights=7")),
    Case(
        "can you do a queen for 3 nights from the first of march name's jorge ramirez",
        ("book", "slots:check_in=2027-03-01,name=Jorge Ramirez,nights=3,room_type=standard_queen"), register="whisper",
    ),
    Case(
        "um, do you, do you have like a room on the, the 29th, uh, for a couple of nights",
        ("book", "slots:check_in=2026-12-29,nights=2"), register="disfluent",
    ),
    Case(
        "We're coming for the marathon. Two of us, arriving May 15th and leaving the 17th, in the queen room.",
        ("book", "slots:check_in=2027-05-15,check_out=2027-05-17,guests=2,room_type=standard_queen"),
    ),
    # ===================================================================================
    # People and jobs for staff
    # ===================================================================================
    # --- repairs, no department named ----------------------------------------------------
    Case("The air conditioning in my room isn't working.", ("handoff:maintenance",)),
    Case("There's no hot water in the shower.", ("handoff:maintenance",)),
    Case("My key card stopped working and I'm locked out.", ("handoff:maintenance",)),
    Case("the toilets clogged", ("handoff:maintenance",), register="whisper"),
    Case("The TV won't turn on.", ("handoff:maintenance",)),
    Case("It's freezing in here, the heating doesn't seem to come on.", ("handoff:maintenance",)),
    Case("The lights in the bathroom keep flickering.", ("handoff:maintenance",)),
    Case(
        "um the, the shower head is like, broken, there's water going everywhere", ("handoff:maintenance",),
        register="disfluent",
    ),
    Case("the ac is making a really loud noise", ("handoff:maintenance",), register="whisper"),
    Case("The sink is leaking all over the bathroom floor.", ("handoff:maintenance",)),
    Case("the lock on room 215 is broken", ("handoff:maintenance",), register="whisper"),
    # --- housekeeping jobs, no department named ------------------------------------------
    Case("Could we get some extra towels?", ("handoff:housekeeping",)),
    Case("Can someone bring up two more pillows?", ("handoff:housekeeping",)),
    Case("Our room hasn't been cleaned today.", ("handoff:housekeeping",)),
    Case("we ran out of toilet paper", ("handoff:housekeeping",), register="whisper"),
    Case("Can I get fresh sheets, please?", ("handoff:housekeeping",)),
    Case("Could you send up some shampoo and a toothbrush?", ("handoff:housekeeping",)),
    Case("Can we have the room made up while we're out at lunch?", ("handoff:housekeeping",)),
    Case("um hi, yeah, we, uh, need more towels in 304", ("handoff:housekeeping",), register="disfluent"),
    # --- a department or a person asked for ------------------------------------------------
    Case("Can I speak to someone at reception?", ("handoff:front_desk",)),
    Case("Put me through to the front desk, please.", ("handoff:front_desk",)),
    Case("operator", ("handoff:front_desk",), register="terse"),
    Case("I'd like to talk to a real person.", ("handoff:front_desk",)),
    Case("Can I speak with the concierge?", ("handoff:front_desk",)),
    Case("is there a human i can talk to", ("handoff:front_desk",), register="whisper"),
    Case("front desk please", ("handoff:front_desk",), register="terse"),
    Case("um can I just, can I talk to somebody", ("handoff:front_desk",), register="disfluent"),
    Case("Connect me with housekeeping.", ("handoff:housekeeping",)),
    Case("housekeeping please", ("handoff:housekeeping",), register="terse"),
    Case("Can I talk to maintenance?", ("handoff:maintenance",)),
    Case("get me the maintenance guy", ("handoff:maintenance",), register="whisper"),
    Case("I want to speak to the manager.", ("handoff:management",)),
    Case("I'd like to make a complaint.", ("handoff:management",)),
    Case("this is ridiculous get me your supervisor", ("handoff:management",), register="whisper"),
    Case(
        "I've been waiting over an hour for my room to be ready and nobody down there seems to care, I want "
        "to speak to whoever's in charge",
        ("handoff:management",), register="rambling",
    ),
    Case("Who do I talk to about filing a complaint about the noise last night?", ("handoff:management",)),
    Case(
        "hi so we're in 412 and we just got back from dinner and, I don't know if it's the thermostat or "
        "what, but the room is boiling and the air conditioning just blows warm air",
        ("handoff:maintenance",), register="rambling",
    ),
    Case(
        "yeah hi, we checked in a couple of hours ago and there's only one towel in the bathroom and there's "
        "four of us, so if somebody could bring a few more up that would be amazing",
        ("handoff:housekeeping",), register="rambling",
    ),
    # ===================================================================================
    # Existing reservations: look up, cancel, change
    # ===================================================================================
    Case("Could you check on my reservation for me?", ("find",)),
    Case("I want to confirm my booking, the code is H3R7Y2.", ("find:H3R7Y2",)),
    Case("I booked last week and I just want to make sure it went through.", ("find",)),
    Case("look up booking p 4 w 9 z t", ("find:P4W9ZT",), register="whisper"),
    Case(
        "My confirmation number is K9 M, 4 T 8, can you tell me what dates I'm booked for?", ("find:K9M4T8",),
    ),
    Case("can you pull up reservation dee nine are tee four ess", ("find:D9RT4S",), register="whisper"),
    Case("What dates is my reservation for?", ("find",)),
    Case(
        "uh I have a, a reservation, the code is, um, g as in golf, 6, n as in november, 3, b, y",
        ("find:G6N3BY",), register="disfluent",
    ),
    Case("check booking 2 x 5 m c h", ("find:2X5MCH",), register="terse"),
    Case("I need to cancel my booking.", ("cancel",)),
    Case("cancel reservation h 4 r t 9 w", ("cancel:H4RT9W",), register="whisper"),
    Case(
        "hi, unfortunately something came up and we can't make it next week, so I'm going to have to cancel, "
        "the code is Q2W, 8 E N",
        ("cancel:Q2W8EN",), register="rambling",
    ),
    Case("Please cancel booking J5K 7PS.", ("cancel:J5K7PS",)),
    Case("We won't be coming after all. Can you cancel our reservation?", ("cancel",)),
    Case(
        "cancel my reservation the code is sierra tango four five x-ray romeo", ("cancel:ST45XR",),
        register="whisper",
    ),
    Case("i need to um cancel, cancel the room i booked", ("cancel",), register="disfluent"),
    Case("cancel my booking", ("cancel",), register="terse"),
    Case("Can I cancel my reservation, and is there a fee for that?", ("cancel", "ask:cancellation")),
    Case("I need to change my reservation.", ("change",)),
    Case("Can I move my booking to the 20th?", ("change", "slots:check_in=2026-12-20")),
    Case("Can I switch my reservation to the suite?", ("change", "slots:room_type=family_suite")),
    Case("We're booked for two, but there'll be three of us now.", ("change", "slots:guests=3")),
    Case("I'd like to add a night to my reservation.", ("change",)),
    Case(
        "so we've got a booking with you already for later this month but my brother-in-law has decided to "
        "come along after all, so is there any way we could switch it to the family suite instead",
        ("change", "slots:room_type=family_suite"), register="rambling",
    ),
    Case(
        "um can we, uh, change our dates, we're now coming january 8th instead",
        ("change", "slots:check_in=2027-01-08"), register="disfluent",
    ),
    Case("We need to shorten our stay to just two nights.", ("change", "slots:nights=2")),
    Case("change my booking to the king room", ("change", "slots:room_type=deluxe_king"), register="terse"),
    Case(
        "i booked under the wrong name can you change it to sara lopez", ("change", "slots:name=Sara Lopez"),
        register="whisper",
    ),
    Case(
        "We'll now be arriving on the 23rd and leaving on the 27th. Can you update the booking?",
        ("change", "slots:check_in=2026-12-23,check_out=2026-12-27"),
    ),
    # ===================================================================================
    # Bare answers to the agent's question
    # ===================================================================================
    # --- how many guests -----------------------------------------------------------------
    Case("three of us", ("slots:guests=3",), ASK_GUESTS, "terse"),
    Case("just me", ("slots:guests=1",), ASK_GUESTS, "terse"),
    Case("Me and my husband.", ("slots:guests=2",), ASK_GUESTS),
    Case("two adults and two kids", ("slots:guests=4",), ASK_GUESTS, "whisper"),
    Case("4", ("slots:guests=4",), ASK_GUESTS, "terse"),
    Case("uh there'll be, um, five of us", ("slots:guests=5",), ASK_GUESTS, "disfluent"),
    Case("It's a group of six, actually.", ("slots:guests=6",), ASK_GUESTS),
    Case("Three, and do you allow dogs?", ("slots:guests=3", "ask:pets"), ASK_GUESTS),
    # --- how many nights -----------------------------------------------------------------
    Case("just the one", ("slots:nights=1",), ASK_NIGHTS, "terse"),
    Case("A week.", ("slots:nights=7",), ASK_NIGHTS),
    Case("to nights", ("slots:nights=2",), ASK_NIGHTS, "whisper"),
    Case("three nights please", ("slots:nights=3",), ASK_NIGHTS, "whisper"),
    Case(
        "well we were going to do the whole week but my wife has work on thursday so let's just say three nights",
        ("slots:nights=3",), ASK_NIGHTS, "rambling",
    ),
    Case("A couple of nights.", ("slots:nights=2",), ASK_NIGHTS),
    Case("We'll leave on Sunday.", ("slots:check_out=2026-12-06",), ASK_NIGHTS),
    Case("5", ("slots:nights=5",), ASK_NIGHTS, "terse"),
    Case("two adults", ("slots:guests=2",), ASK_NIGHTS, "whisper"),
    # --- arrival date --------------------------------------------------------------------
    Case("the 20th", ("slots:check_in=2026-12-20",), ASK_CHECK_IN, "terse"),
    Case("Tomorrow.", ("slots:check_in=2026-12-03",), ASK_CHECK_IN),
    Case("this friday", ("slots:check_in=2026-12-04",), ASK_CHECK_IN, "whisper"),
    Case("january fifteenth", ("slots:check_in=2027-01-15",), ASK_CHECK_IN, "whisper"),
    Case("Next Friday.", ("slots:check_in=2026-12-11",), ASK_CHECK_IN),
    Case("the fifth of february", ("slots:check_in=2027-02-05",), ASK_CHECK_IN, "whisper"),
    Case("tonight", ("slots:check_in=2026-12-02",), ASK_CHECK_IN, "terse"),
    Case("This weekend.", ("slots:check_in=2026-12-05,nights=2",), ASK_CHECK_IN),
    Case("friday for three nights", ("slots:check_in=2026-12-04,nights=3",), ASK_CHECK_IN, "whisper"),
    Case("december first", ("slots:check_in=2027-12-01",), ASK_CHECK_IN, "whisper"),
    Case("What time is check-in, though?", ("ask:check_in",), ASK_CHECK_IN),
    # --- room type -----------------------------------------------------------------------
    Case("the king", ("slots:room_type=deluxe_king",), ASK_ROOM, "terse"),
    Case("Queen's fine.", ("slots:room_type=standard_queen",), ASK_ROOM),
    Case("We'll take the suite.", ("slots:room_type=family_suite",), ASK_ROOM),
    Case("um the, the standard one please", ("slots:room_type=standard_queen",), ASK_ROOM, "disfluent"),
    Case("deluxe", ("slots:room_type=deluxe_king",), ASK_ROOM, "terse"),
    Case("how much is the suite", ("ask:room:family_suite",), ASK_ROOM, "whisper"),
    Case("What's the difference between them?", ("ask:rooms",), ASK_ROOM),
    # --- name ----------------------------------------------------------------------------
    Case("it's lucia moreno", ("slots:name=Lucia Moreno",), ASK_NAME, "whisper"),
    Case("James Whitaker.", ("slots:name=James Whitaker",), ASK_NAME),
    Case("the name's kenji watanabe", ("slots:name=Kenji Watanabe",), ASK_NAME, "whisper"),
    Case("david chen c h e n", ("slots:name=David Chen",), ASK_NAME, "whisper"),
    Case("Put it under my wife's name, Emma Clarke.", ("slots:name=Emma Clarke",), ASK_NAME),
    Case("Hang on, is parking extra?", ("ask:parking",), ASK_NAME),
    # --- phone ---------------------------------------------------------------------------
    Case("six one seven five five five oh one two three", ("slots:phone=+16175550123",), ASK_PHONE, "whisper"),
    Case("Just use this number.", ("slots:use_caller_number=True",), ASK_PHONE),
    Case("(207) 555-0188", ("slots:phone=+12075550188",), ASK_PHONE, "terse"),
    Case("it's 312 555 0199", ("slots:phone=+13125550199",), ASK_PHONE, "whisper"),
    Case("you can use the number i'm calling on", ("slots:use_caller_number=True",), ASK_PHONE, "whisper"),
    Case("plus one four one five, five five five, two six seven eight", ("slots:phone=+14155552678",), ASK_PHONE, "whisper"),
    Case("uh eight oh two, five five five, um, nine nine three, two", ("slots:phone=+18025559932",), ASK_PHONE, "disfluent"),
    # --- confirmation code -----------------------------------------------------------------
    Case("b as in bravo, 4, t as in tango, 7, n, 2", ("find:B4T7N2",), ASK_CODE, "whisper"),
    Case("m 3 h 8 v a", ("find:M3H8VA",), ASK_CODE, "whisper"),
    Case("R double seven K 2 P", ("find:R77K2P",), ASK_CODE),
    Case("zee why five see four dee", ("find:ZY5C4D",), ASK_CODE, "whisper"),
    Case("X9D, 3FG", ("find:X9D3FG",), ASK_CODE),
    Case("uh it's, um, j... j 6, w, uh, 8 p e", ("find:J6W8PE",), ASK_CODE, "disfluent"),
    Case("papa quebec 2 3 uniform victor", ("find:PQ23UV",), ASK_CODE, "whisper"),
    # --- yes/no to the booking read-back -----------------------------------------------------
    Case("yep go ahead", ("affirm",), CONFIRM_BOOK, "terse"),
    Case("Yes, please.", ("affirm",), CONFIRM_BOOK),
    Case("That's right.", ("affirm",), CONFIRM_BOOK),
    Case("sounds good book it", ("affirm",), CONFIRM_BOOK, "whisper"),
    Case("that's correct", ("affirm",), CONFIRM_BOOK, "terse"),
    Case("no", ("deny",), CONFIRM_BOOK, "terse"),
    Case("No, that's not right.", ("deny",), CONFIRM_BOOK),
    Case("oh wait, can you make that three nights", ("slots:nights=3",), CONFIRM_BOOK, "whisper"),
    Case("Hmm, can we do the queen instead?", ("slots:room_type=standard_queen",), CONFIRM_BOOK),
    Case("yes do that", ("affirm",), CONFIRM_REBOOK, "terse"),
    # --- other yes/no questions --------------------------------------------------------------
    Case("Yes, cancel it.", ("affirm",), CONFIRM_CANCEL),
    Case("no, keep it actually", ("deny",), CONFIRM_CANCEL, "whisper"),
    Case("yeah that'd be great", ("affirm",), OFFER_CALLBACK, "whisper"),
    Case("No, don't worry about it.", ("deny",), OFFER_CALLBACK),
    Case("sure let's do it", ("affirm",), OFFER_BOOKING, "whisper"),
    Case("Not right now, thanks.", ("deny",), OFFER_BOOKING),
    Case("yeah go ahead", ("affirm",), OFFER_LOOKUP, "terse"),
    # --- anything else? ------------------------------------------------------------------
    Case("nope, that's everything, thanks", ("deny", "goodbye"), ANYTHING_ELSE, "whisper"),
    Case("No thank you, bye.", ("deny", "goodbye"), ANYTHING_ELSE),
    Case("nah I'm all set", ("deny", "goodbye"), ANYTHING_ELSE, "whisper"),
    Case("Oh, one more thing: is there a gym?", ("ask:gym",), ANYTHING_ELSE),
    Case("could someone bring up more towels", ("handoff:housekeeping",), ANYTHING_ELSE, "whisper"),
    # --- when to call back, what to change, which department ---------------------------------
    Case("tomorrow morning", ("callback",), ASK_CALLBACK_TIME, "terse"),
    Case("Any time after 6 tonight.", ("callback",), ASK_CALLBACK_TIME),
    Case("the date, it should be the 18th", ("slots:check_in=2026-12-18",), ASK_CHANGE, "whisper"),
    Case("The name's wrong, it's Sara Lopez.", ("slots:name=Sara Lopez",), ASK_CHANGE),
    Case("housekeeping", ("handoff:housekeeping",), ASK_DEPARTMENT, "terse"),
    Case("The manager, please.", ("handoff:management",), ASK_DEPARTMENT),
    # --- a question in the middle of a booking ---------------------------------------------
    Case("hold on, does that include breakfast", ("ask:breakfast",), ASK_GUESTS, "whisper"),
    Case("Before that, what's your cancellation policy?", ("ask:cancellation",), ASK_NIGHTS),
    Case("sorry what time is checkout again", ("ask:check_out",), ASK_NIGHTS, "whisper"),
    # ===================================================================================
    # Callbacks
    # ===================================================================================
    Case("Can someone call me back?", ("callback",)),
    Case("Could you have someone ring me tomorrow morning?", ("callback",)),
    Case("I'm driving right now, can you call me back in an hour?", ("callback",)),
    Case("call me back this afternoon please", ("callback",), register="terse"),
    Case("um can, can somebody just call me back later", ("callback",), register="disfluent"),
    Case(
        "id rather talk about this later could you give me a call back around 5 p.m.", ("callback",),
        register="whisper",
    ),
    Case(
        "I'm at work and can't really talk right now, I've got a few questions but could somebody phone me "
        "back this evening when I'm home",
        ("callback",), register="rambling",
    ),
    Case("have someone call me", ("callback",), register="terse"),
    Case("can i get a callback tomorrow", ("callback",), register="whisper"),
    Case("Is it possible for someone to return my call on Friday?", ("callback",)),
    # ===================================================================================
    # Repeat, goodbye, thanks, greeting, and their look-alikes
    # ===================================================================================
    Case("Sorry, can you say that again?", ("repeat",)),
    Case("what was that", ("repeat",), register="whisper"),
    Case("come again?", ("repeat",), register="terse"),
    Case("pardon", ("repeat",), register="terse"),
    Case("Sorry, I missed that. One more time?", ("repeat",)),
    Case("um sorry what did you, what did you say", ("repeat",), register="disfluent"),
    Case("Sorry, what time is breakfast?", ("ask:breakfast",)),
    Case("sorry what was the password again", ("ask:wifi",), register="whisper"),
    Case("ok bye", ("goodbye",), register="terse"),
    Case("That's everything, have a good night.", ("goodbye",)),
    Case("great thanks bye bye", ("goodbye",), register="whisper"),
    Case("All right, I'll let you go. Take care.", ("goodbye",)),
    Case("Thank you so much.", ("thanks",)),
    Case("perfect thanks", ("thanks",), register="whisper"),
    Case("That's really helpful, thank you.", ("thanks",)),
    Case("hi", ("greeting",), register="terse"),
    Case("hello?", ("greeting",), register="terse"),
    Case("Good morning!", ("greeting",)),
    Case("hey there good evening", ("greeting",), register="whisper"),
    Case("Hi, I was hoping you could tell me when checkout is.", ("ask:check_out",)),
    # ===================================================================================
    # Nothing the hotel can act on, and questions its data cannot answer
    # ===================================================================================
    Case("Can I land my helicopter on the roof?", ("unclear",)),
    Case("Is there a casino in the hotel?", ("unclear",)),
    Case("What's the weather going to be like this weekend?", ("unclear",)),
    Case("who won the game last night", ("unclear",), register="whisper"),
    Case("Do you have tennis courts?", ("unclear",)),
    Case("Can I rent a bike from you?", ("unclear",)),
    Case("Is there a kids club?", ("unclear",)),
    Case("do the rooms have a minibar", ("unclear",), register="whisper"),
    Case("What's the capital of Peru?", ("unclear",)),
    Case("the purple toaster sings at midnight", ("unclear",), register="whisper"),
    Case("uh hmm", ("unclear",), register="disfluent"),
    Case("Do you sell gift cards?", ("unclear",)),
    Case("Is there a golf course nearby?", ("unclear",)),
    Case("How old is the building?", ("unclear",)),
    Case("Can you recommend a good lobster place in town?", ("unclear",)),
    Case("my cousin's parrot speaks french", ("unclear",), register="whisper"),
    Case(
        "oh hi, sorry, I think I was actually trying to call the ferry company about the boat to the islands, "
        "do you know what time the last one goes",
        ("unclear",), register="rambling",
    ),
]  # fmt: skip
