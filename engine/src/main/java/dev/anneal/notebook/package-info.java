/** What a notebook shows of a run, as HTML any Kotlin or Java notebook kernel displays: schedules, audits, progress, results. */
package dev.anneal.notebook;
