/** A run's folder (metrics, configuration, plots, diagnosis) and the diagnosis of its loss curves. */
package dev.anneal.run;
