-- POST /api/v1/cart/items as the server runs it on PostgreSQL: authentication, then one
-- statement, no transaction — the hold (refused by the holds' key when the movie is held
-- already) and, in the same statement, the movie as lists show it.
-- Variables: smin/smax (the bench users' session ids); the session picks the user.
\set sid random(:smin, :smax)
\set movie random(1, 100000)
SELECT u.id AS uid, u.email, u.is_active, u.group_id FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.id = :sid AND s.revoked_at IS NULL AND s.expires_at > 0 \gset
WITH written AS (INSERT INTO holds (user_id, movie_id, added_at, kind, order_id, expires_at) VALUES (:uid, :movie, 0, 'cart', NULL, NULL) ON CONFLICT (user_id, movie_id) DO UPDATE SET kind = excluded.kind, order_id = excluded.order_id, added_at = excluded.added_at, expires_at = excluded.expires_at WHERE holds.kind = 'order' AND holds.expires_at <= 0 RETURNING movie_id) SELECT m.id, m.uuid, m.name, m.year, m.time, m.imdb_tenths, m.votes, m.price_cents, m.certification_id, u.grp, u.id, u.name, c.name FROM movies m JOIN certifications c ON c.id = m.certification_id LEFT JOIN (SELECT 0 AS grp, l.movie_id AS grp_key, t.id, t.name FROM movie_genres l JOIN genres t ON t.id = l.genre_id WHERE l.movie_id IN (:movie)) u ON 1 = 1 WHERE m.id IN (:movie) AND EXISTS (SELECT 1 FROM written) ORDER BY u.name, u.id;
