"""Personal data: the learner's own copy, account deletion, and the retention policy.

Credit records (completions, attempts, evaluations, certificates) are kept for the
accreditor; everything else goes as soon as the policy allows. See README, "Privacy and
retention".
"""
