/** Line charts drawn with XChart and rendered as PNG images. */
package dev.anneal.plot;
