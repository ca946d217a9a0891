/* Smultronsites privacy center, v1 (placeholder until the form script lands). */
