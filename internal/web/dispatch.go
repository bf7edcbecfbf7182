package web

import "github.com/gofiber/fiber/v2"

// dispatchRoutes registers the dispatcher's pages and JSON. Built out by the
// dispatch work.
func (s *Server) dispatchRoutes(pg fiber.Router) {}
