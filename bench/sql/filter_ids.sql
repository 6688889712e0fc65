SELECT DISTINCT movie_id FROM movie_genres WHERE genre_id IN (3) AND year >= 1990 AND year <= 2010;
