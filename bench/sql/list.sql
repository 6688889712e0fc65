SELECT value FROM catalog_counts WHERE name = 'movies';
SELECT m.id, m.uuid, m.name, m.year, m.time, m.imdb_tenths, m.votes, m.meta_score, m.gross_cents, m.description, m.price_cents, m.certification_id, m.directors, m.actors, m.created_at, m.updated_at FROM movies m ORDER BY m.id ASC LIMIT 20 OFFSET 0;
SELECT l.movie_id, t.id, t.name FROM movie_genres l JOIN genres t ON t.id = l.genre_id WHERE l.movie_id IN (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20) ORDER BY t.name, t.id;
SELECT id, name, name_key FROM certifications WHERE id IN (1,2,3,4,5,6,7,8,9);
