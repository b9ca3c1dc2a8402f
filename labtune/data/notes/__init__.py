"""Meeting notes -> conversations: `parse` reads any lab's notes, `synthesize` writes Q&A about them."""
