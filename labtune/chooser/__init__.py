"""Which model to start from: what each one is (parameters, context, licence) and what training and
answering with it costs on this machine, measured by a short probe where the model is here and
computed from its architecture otherwise."""
