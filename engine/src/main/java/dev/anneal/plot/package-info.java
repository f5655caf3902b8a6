/** Line charts of a run's history, drawn with XChart and written as PNG files. */
package dev.anneal.plot;
