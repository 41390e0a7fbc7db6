"""The Anki exporter: the `deck` command and what it is made of.

- deck.py: the command and build_deck, a spec's exercises to one .apkg, streamed a chunk at a time;
- models.py: the three note types, whose IDs never change;
- fields.py: a problem note's fields, from templates/anki/fields.html;
- variants.py: the fields that carry a note's variants 2..N, which the card script deals from;
- cards.py: what each card of a problem asks and shows (plain functions of a record);
- package.py: the .apkg writer;
- concepts.py: the concept cards' file, loaded and checked.
"""
