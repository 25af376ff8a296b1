package io.moodleautopilot.tools;

import java.util.Arrays;

/**
 * The comparison of two builds measured in pairs (A then B, next to each other): the ratio of each
 * pair, A_i / B_i, and their median. A drift of the machine over the run moves both halves of a
 * pair alike, so it cancels in each pair's ratio; the ratio of the two medians would mix runs made
 * minutes apart.
 */
record PairedRatios(int pairs, double medianA, double medianB, double ratioMedian, double ratioMin, double ratioMax) {

    static PairedRatios of(long[] a, long[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("pairs need as many A as B figures: " + a.length + " A, " + b.length + " B");
        }
        if (a.length == 0) {
            throw new IllegalArgumentException("no pairs");
        }
        double[] ratios = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            if (b[i] <= 0) {
                throw new IllegalArgumentException("pair " + (i + 1) + ": B is " + b[i] + ", not a duration");
            }
            ratios[i] = (double) a[i] / b[i];
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        return new PairedRatios(a.length, median(a), median(b), median(ratios), sorted[0], sorted[sorted.length - 1]);
    }

    /** The middle value, or the mean of the two middle values of an even count. */
    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static double median(long[] values) {
        return median(Arrays.stream(values).asDoubleStream().toArray());
    }
}
