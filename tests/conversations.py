"""Whole phone calls as speech-to-text writes the caller's side, graded by outcome only: the
reservation row the call leaves, the tool it ran, the hotel facts spoken, how it ended.

Same format as scenarios.py. In a call with ``existing`` reservations, ``{code}`` in a turn
is the first reservation's code, ``{spelled}`` its characters one by one, and
``{code[0]}``..``{code[5]}`` single characters, for codes read out in groups.
"""

from __future__ import annotations

from scenarios import Scenario

CONVERSATIONS: list[Scenario] = [
    # --- bookings ----------------------------------------------------------------------------
    Scenario(
        "booking answered one question at a time",
        ["hi there I'm hoping to make a reservation", "the eighteenth of january", "three nights",
         "it'll be me and my wife", "we'll take the king", "it's under rachel adams", "yep that's right"],
        booking={"room_type": "deluxe_king", "nights": 3, "guests": 2, "guest_name": "Rachel Adams",
                 "check_in": "January 18th"},
    ),
    Scenario(
        "booking told in one long breath",
        ["hi yeah so my partner and I are coming up to portland for a long weekend and we'd love the deluxe "
         "king from march 12th for three nights", "the name is oliver grant", "yes please book it"],
        booking={"room_type": "deluxe_king", "nights": 3, "guests": 2, "guest_name": "Oliver Grant",
                 "check_in": "March 12th"},
    ),
    Scenario(
        "party size told before the dates",
        ["we're a family of five and we need somewhere to stay", "april 9th", "four nights", "the family suite",
         "nadia hassan", "that's correct"],
        booking={"room_type": "family_suite", "nights": 4, "guests": 5, "guest_name": "Nadia Hassan",
                 "check_in": "April 9th"},
    ),
    Scenario(
        "caller corrects the party size while choosing a room",
        ["i need a room from april 20th", "five nights", "three adults",
         "actually sorry make that four people, and we'd like the suite", "daniel okafor", "yes go for it"],
        booking={"room_type": "family_suite", "nights": 5, "guests": 4, "guest_name": "Daniel Okafor",
                 "check_in": "April 20th"},
    ),
    Scenario(
        "parking question in the middle of a booking",
        ["can i book a room for the 6th of february", "two nights",
         "before i forget is there somewhere to park the car", "just the two of us", "the queen's fine",
         "hannah berg", "yes that's it"],
        booking={"room_type": "standard_queen", "nights": 2, "guests": 2, "guest_name": "Hannah Berg",
                 "check_in": "February 6th"},
        says=["25 dollars", "garage"],
    ),
    Scenario(
        "breakfast question in the middle of a booking",
        ["id like to reserve a room may 22nd one night", "three of us", "wait where do you serve breakfast",
         "ok the suite then", "it's carlos mendez", "sure"],
        booking={"room_type": "family_suite", "nights": 1, "guests": 3, "guest_name": "Carlos Mendez",
                 "check_in": "May 22nd"},
        says=["Harbor Room"],
    ),
    Scenario(
        "caller backs out at the read-back",
        ["book me the standard queen from july 2nd for two nights for one person", "it's under mark feldman",
         "hmm no actually I need to check with my boss first", "no that's all for now bye"],
        no_booking=True, ends="completed",
    ),
    Scenario(
        "wrong date fixed at the read-back",
        ["i want a king room for two from the 9th of may for three nights", "lena fischer",
         "no the date's wrong it should be may 10th", "yes that's right now"],
        booking={"room_type": "deluxe_king", "nights": 3, "guests": 2, "guest_name": "Lena Fischer",
                 "check_in": "May 10th"},
    ),
    Scenario(
        "one night fewer after booking",
        ["can i book a queen room for two people from june 14th for three nights", "the name's tom becker", "yes book it please",
         "oh actually could we make that two nights instead of three", "yes please"],
        booking={"room_type": "standard_queen", "nights": 2, "guests": 2, "guest_name": "Tom Becker",
                 "check_in": "June 14th"},
    ),
    Scenario(
        "hidden number, phone read out in words",
        ["hello I'd like to make a booking", "october 5th", "two nights", "just me", "standard please",
         "samuel ortiz", "six one seven five five five oh one two three", "yep all good"],
        booking={"room_type": "standard_queen", "nights": 2, "guests": 1, "guest_name": "Samuel Ortiz",
                 "check_in": "October 5th", "phone": "+16175550123"},
        caller_id=None,
    ),
    Scenario(
        "hidden number, phone read in groups",
        ["we need the family suite from august 20th for a week for four of us", "the name is grace liu",
         "my cell is two oh seven, five five five, oh one eight eight", "yep"],
        booking={"room_type": "family_suite", "nights": 7, "guests": 4, "guest_name": "Grace Liu",
                 "check_in": "August 20th", "phone": "+12075550188"},
        caller_id=None,
    ),
    Scenario(
        "two nights heard as to nights",
        ["can i get a king for to nights starting november 12th", "two people", "ravi kumar", "correct yes"],
        booking={"room_type": "deluxe_king", "nights": 2, "guests": 2, "guest_name": "Ravi Kumar",
                 "check_in": "November 12th"},
    ),
    Scenario(
        "departure date instead of nights",
        ["is there a room from the 10th of march until the 14th", "me and my husband", "the king please",
         "beth morgan", "yes book it"],
        booking={"room_type": "deluxe_king", "nights": 4, "guests": 2, "guest_name": "Beth Morgan",
                 "check_in": "March 10th"},
    ),
    Scenario(
        "room list first, then a booking",
        ["what kind of rooms have you got", "yeah let's book one", "september 3rd", "two nights",
         "two adults and two kids", "the suite", "frank russo", "yeah that's great"],
        booking={"room_type": "family_suite", "nights": 2, "guests": 4, "guest_name": "Frank Russo",
                 "check_in": "September 3rd"},
        says=["149 dollars", "289 dollars"],
    ),
    Scenario(
        "halting booking full of fillers",
        ["um hi, I, uh, I wanted to, to book a room", "uh the, the 2nd of june", "um, like, four nights i guess",
         "just, just me", "uh the queen one", "it's, um, paul novak", "yeah yeah that's right"],
        booking={"room_type": "standard_queen", "nights": 4, "guests": 1, "guest_name": "Paul Novak",
                 "check_in": "June 2nd"},
    ),
    Scenario(
        "pet question, then a booking",
        ["do you take dogs", "great can i book a room for february 20th then", "three nights",
         "two of us plus the dog", "the king", "anna kowalski", "yes please"],
        booking={"room_type": "deluxe_king", "nights": 3, "guests": 2, "guest_name": "Anna Kowalski",
                 "check_in": "February 20th"},
        says=["40 pounds"],
    ),
    Scenario(
        "caller gives the name first",
        ["hi this is marcus bell and I'd like a room", "january 27th", "one night", "just me", "queen", "perfect, yes"],
        booking={"room_type": "standard_queen", "nights": 1, "guests": 1, "guest_name": "Marcus Bell",
                 "check_in": "January 27th"},
    ),
    Scenario(
        "price question, then a cheaper room at the read-back",
        ["how much is the deluxe king", "ok book that for the 3rd of april, two nights, two guests",
         "it's under ines costa", "actually can we do the queen instead", "yes that works"],
        booking={"room_type": "standard_queen", "nights": 2, "guests": 2, "guest_name": "Ines Costa",
                 "check_in": "April 3rd"},
        says=["199 dollars"],
    ),
    # --- reservations by code -------------------------------------------------------------------
    Scenario(
        "cancel with the code read in two groups",
        ["hi I need to cancel a booking", "it's {code[0]}{code[1]}{code[2]}, {code[3]}{code[4]}{code[5]}",
         "yes please cancel it", "no that's everything, bye"],
        existing=[("Helen Park", "standard_queen", "March 15th", 2)],
        tool=("cancel_reservation", {}), ends="completed",
    ),
    Scenario(
        "cancel with the code in the first breath",
        ["please cancel reservation {spelled}", "yes go ahead", "no thanks bye"],
        existing=[("Ahmed Karim", "deluxe_king", "May 1st", 3)],
        tool=("cancel_reservation", {}), ends="completed",
    ),
    Scenario(
        "policy question, then a cancellation",
        ["whats your cancellation policy", "ok then i'd like to cancel my booking", "{code}", "yes cancel it",
         "that's all thanks bye"],
        existing=[("Irene Walsh", "family_suite", "October 18th", 2)],
        says=["48 hours"], tool=("cancel_reservation", {}), ends="completed",
    ),
    Scenario(
        "look up by spelled code, then a check-in question",
        ["can you check on a reservation for me", "{spelled}", "great and what time can we check in on the day",
         "ok thanks bye"],
        existing=[("Yuki Tanaka", "family_suite", "June 10th", 2)],
        says=["Yuki Tanaka", "3 PM"], ends="completed",
    ),
    Scenario(
        "look up in pairs, then cancel it",
        ["i want to look up my booking", "the code is {code[0]}{code[1]} {code[2]}{code[3]} {code[4]}{code[5]}",
         "actually can you just cancel it", "yeah do it", "no that's it bye"],
        existing=[("Pedro Alves", "deluxe_king", "July 7th", 1)],
        says=["Pedro Alves"], tool=("cancel_reservation", {}), ends="completed",
    ),
    Scenario(
        "look up, then a luggage question",
        ["I'd like to confirm my reservation", "{code[0]}{code[1]}{code[2]}, {code[3]}{code[4]}{code[5]}",
         "and can you hold our bags after we check out", "bye"],
        existing=[("Sofia Rossi", "standard_queen", "August 3rd", 2)],
        says=["Sofia Rossi", "luggage"], ends="completed",
    ),
    # --- jobs for staff and people ----------------------------------------------------------------
    Scenario(
        "wifi, then a broken air conditioner",
        ["hi there, I'm a guest in room 508", "whats the wifi password by the way",
         "also the air conditioning isn't working and it's really hot in here"],
        says=["Harbor View Guest"], tool=("transfer_to_human", {"department": "maintenance"}),
    ),
    Scenario(
        "no hot water",
        ["good evening", "um, we're in 212 and, uh", "there's no hot water coming out of the shower at all"],
        tool=("transfer_to_human", {"department": "maintenance"}),
    ),
    Scenario(
        "check-out time, then a dead key card",
        ["hi quick question what time is checkout tomorrow", "ok and one more thing",
         "my key card stopped working, can someone sort that out"],
        says=["11 AM"], tool=("transfer_to_human", {"department": "maintenance"}),
    ),
    Scenario(
        "overflowing toilet",
        ["hello is this harbor view", "we're in room 415", "the toilet's overflowing can you send someone up"],
        tool=("transfer_to_human", {"department": "maintenance"}),
    ),
    Scenario(
        "cold room, heater will not start",
        ["hey we just checked into 602", "the heater won't come on and it's freezing", "can you send someone"],
        tool=("transfer_to_human", {"department": "maintenance"}),
    ),
    Scenario(
        "television will not turn on",
        ["hello, quick one", "the tv in our room won't turn on", "ok"],
        tool=("transfer_to_human", {"department": "maintenance"}),
    ),
    Scenario(
        "pool hours, then more towels",
        ["hi what time does the pool close", "ok great", "could we get a few more towels sent up to 220"],
        says=["10 PM"], tool=("transfer_to_human", {"department": "housekeeping"}),
    ),
    Scenario(
        "room not made up",
        ["hi there", "we're staying in 118",
         "we've been out all day and came back and the room still hasn't been made up"],
        tool=("transfer_to_human", {"department": "housekeeping"}),
    ),
    Scenario(
        "breakfast, then pillows and shampoo",
        ["what time is breakfast tomorrow", "and where is it", "can someone bring up extra pillows and some shampoo"],
        says=["6:30 AM", "Harbor Room"], tool=("transfer_to_human", {"department": "housekeeping"}),

    ),
    Scenario(
        "unhappy guest wants the manager",
        ["I'm calling because I'm really not happy with my stay",
         "we asked for a quiet room and we've been kept awake two nights in a row",
         "I want to speak to the manager right now"],
        tool=("transfer_to_human", {"department": "management"}),
    ),
    Scenario(
        "formal complaint about staff",
        ["hello", "I'd like to make a formal complaint about a member of your staff", "yes I'll hold"],
        tool=("transfer_to_human", {"department": "management"}),
    ),
    Scenario(
        "spa questions, then reception",
        ["do you have a spa", "how do i book a treatment", "ok can you just put me through to reception"],
        says=["9 AM to 8 PM"], tool=("transfer_to_human", {"department": "front_desk"}),
    ),
    # --- callbacks ----------------------------------------------------------------------------------
    Scenario(
        "callback before a meeting",
        ["hi I have a few questions but I'm about to go into a meeting", "could someone call me back",
         "tomorrow morning would be best", "thanks bye"],
        tool=("schedule_callback", {}), ends="completed",
    ),
    Scenario(
        "callback from the car",
        ["hi", "can somebody ring me back this afternoon, I'm driving", "no that's it, bye"],
        tool=("schedule_callback", {}), ends="completed",
    ),
    Scenario(
        "callback to a number read out",
        ["please have someone call me back", "my number is three one two, five five five, oh one nine nine",
         "around 5 p.m.", "that's all bye"],
        tool=("schedule_callback", {}), ends="completed", caller_id=None,
    ),
    # --- several questions in a row ----------------------------------------------------------------
    Scenario(
        "check-out, staying late, and the bags",
        ["what time's checkout", "can we hang on till 1", "ok and can you keep our bags after that",
         "great thanks bye"],
        says=["11 AM", "1 PM", "30 dollars", "luggage"], ends="completed",
    ),
    Scenario(
        "internet and gym",
        ["is the wifi free", "whats the network called", "do you have a gym", "ok thank you", "no that's all"],
        says=["Harbor View Guest", "24 hours"], ends="completed",
    ),
    Scenario(
        "dog, car and address",
        ["do you allow dogs", "is there parking", "whats the address", "ok bye"],
        says=["40 pounds", "25 dollars", "12 Harbor Street"], ends="completed",
    ),
    Scenario(
        "shuttle, breakfast and dinner",
        ["is there a shuttle from the airport", "and how often does the shuttle go", "what time's breakfast",
         "and dinner, where's the restaurant"],
        says=["every hour", "6:30 AM", "Lighthouse Grill"],
    ),
    Scenario(
        "spa, laundry and smoking",
        ["do you have a spa", "is there a laundry service", "can i smoke on the balcony", "all right thanks, goodbye"],
        says=["9 AM to 8 PM", "6 PM", "non-smoking"], ends="completed",
    ),
    Scenario(
        "wheelchair, early arrival and cancelling",
        ["my mother uses a wheelchair do you have accessible rooms",
         "can we check in early, our train gets in at ten", "whats your cancellation policy", "thank you bye"],
        says=["roll-in showers", "noon", "48 hours"], ends="completed",
    ),
    Scenario(
        "rooms, the king's view, the suite's beds",
        ["what rooms do you have", "does the king room have a view", "what beds are in the family suite",
         "ok thanks bye"],
        says=["149 dollars", "sofa bed"], ends="completed", no_booking=True,
    ),
    Scenario(
        "check-out misheard, then check-in and breakfast",
        ["what time is kek out", "and what time can we get in the room", "is the breakfast included", "ok bye"],
        says=["11 AM", "3 PM", "Harbor Room"], ends="completed",
    ),
    Scenario(
        "password asked again",
        ["whats the wifi password", "sorry could you say that again", "got it thanks", "nope thats all"],
        says=["Harbor View Guest"], ends="completed",
    ),
    Scenario(
        "unknown fact, then pool and gym",
        ["is there a casino nearby", "ok well do you have a pool", "what time does the gym open", "great bye"],
        says=["7 AM to 10 PM", "24 hours"], no_booking=True, ends="completed",
    ),
    Scenario(
        "hesitant caller asks about dinner",
        ["hello?", "um yeah hi, what time does, uh, the restaurant open", "and do i, do i need a reservation there",
         "ok, bye"],
        says=["5:30 PM", "Lighthouse Grill"], no_booking=True, ends="completed",
    ),
    Scenario(
        "two questions in one breath",
        ["hi what time is check out and is there parking", "how much is the parking a night",
         "perfect thanks so much", "no thats everything"],
        says=["11 AM", "25 dollars"], ends="completed",
    ),
    Scenario(
        "address and the way in",
        ["whats the hotels address", "and how do i get there from the highway", "thanks bye"],
        says=["12 Harbor Street", "Portland"], ends="completed",
    ),
]  # fmt: skip
