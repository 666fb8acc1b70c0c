-- Each op's signature by its origin (`<key id>.<hex>`); none on ops from before signatures.
ALTER TABLE ops ADD COLUMN sig TEXT;
