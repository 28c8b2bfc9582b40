"""Reports: parameterised notebooks executed with papermill and rendered to RTL HTML/PDF."""
