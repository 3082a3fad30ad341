package dev.devflow.agents.review;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** A validated review: of one chunk as parsed, or of a whole push after {@link #merge}. Immutable. */
public record Review(String summary, List<ReviewComment> comments) {

  /** Sorts a merged review for reading: by path, then line (stable, so a line's comments keep their order). */
  private static final Comparator<ReviewComment> BY_POSITION =
      Comparator.comparing(ReviewComment::path).thenComparingInt(ReviewComment::line);

  public Review {
    comments = List.copyOf(comments);
  }

  /**
   * One review of a push from its chunks' reviews: the non-blank summaries joined by blank lines in
   * chunk order, and every comment, sorted by path then line.
   */
  public static Review merge(List<Review> reviews) {
    String summary = reviews.stream()
        .map(r -> r.summary().strip())
        .filter(s -> !s.isEmpty())
        .collect(Collectors.joining("\n\n"));
    List<ReviewComment> comments = new ArrayList<>();
    for (Review r : reviews) {
      comments.addAll(r.comments());
    }
    comments.sort(BY_POSITION);
    return new Review(summary, comments);
  }
}
