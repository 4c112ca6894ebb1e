"""The bibliothèque of a collectivité: its documents (files or links), their attachments to actions and
to the référentiel's preuves réglementaires, and the checks on what is uploaded and downloaded."""
