"""Platform-free domain of the SetGet AI bot: credits, plans, workspaces and their ports."""
