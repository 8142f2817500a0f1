"""The partner's evaluation at the end of a project: the guiding values, what changed, work together again?"""
