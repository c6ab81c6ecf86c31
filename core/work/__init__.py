"""Work-item data the assistant answers from: projects, work items and sprints."""
