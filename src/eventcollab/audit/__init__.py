"""`eventcollab audit`: check the whole log of a deployment for broken workflows, off the worker."""
