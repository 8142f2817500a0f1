"""LTI 1.3: the workspace as a tool of the learning platform (launch, deep linking, class roster)."""
