"""Layer 5: the chapter's claims, the graded questions, grading and the exercise generator."""
