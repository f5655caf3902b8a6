package dev.anneal.parallel;

/** What every collective shares: the one summation order, so that all transports give the same bits. */
final class Ranks {
    private Ranks() {
    }

    /** {@code into[at + i] += from[fromAt + i]}: the next rank's term, added to the ranks before it. */
    static void add(float[] into, int at, float[] from, int fromAt, int length) {
        for (int i = 0; i < length; i++) {
            into[at + i] += from[fromAt + i];
        }
    }

    /** The first element of rank {@code rank}'s share when {@code length} elements are split among {@code size}. */
    static int start(int length, int size, int rank) {
        return (int) ((long) length * rank / size);
    }

    static void checkRoot(int root, int size) {
        if (root < 0 || root >= size) {
            throw new IllegalArgumentException("root must be a rank from 0 to " + (size - 1) + ", got " + root);
        }
    }
}
