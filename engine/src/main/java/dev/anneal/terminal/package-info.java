/** The terminal a run prints to: whether there is one, its width, and a live line kept below the text. */
package dev.anneal.terminal;
