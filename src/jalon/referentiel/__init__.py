"""Référentiel files → the immutable model (`model.py`), every problem reported at once (`errors.py`).

Entry points: `loader.load_referentiels(folder)` (which reads the folder with `loader.read_folder` and
loads the files with `loader.load_files(files, path)`), `actions.parse_action_file(file)` and
`points.distribute_points(children, md_points, md_pourcentages)`. Nothing is imported here, so that
importing the model stays cheap.
"""
