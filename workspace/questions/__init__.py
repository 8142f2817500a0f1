"""Partner questions: organisations submit a societal question without an account; coordinators match it to a course."""
