"""Fair rota proposals in the product: gather a schedule's problem for the pure solver
(oncall.rota.fair), keep and show its answer, and apply it as overrides."""
