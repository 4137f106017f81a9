"""What followed actors publish: the "from the network" stream shown on dashboards."""
